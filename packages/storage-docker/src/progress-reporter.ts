import type { Writable } from 'node:stream';
import { maskSecrets } from '@flowenv/core';
import { isStepHeader, isStepOutput, plainText } from './build-output.js';
import type { ProgressMode } from './docker-storage-options.js';
import type { DockerStreamEvent } from './read-docker-stream.js';

export type Phase = 'build' | 'push' | 'pull';

export interface ProgressReporter {
  /** One message of a progress stream. */
  event(phase: Phase, event: DockerStreamEvent): void;
  /** A closing line for the phase ("built 127.0.0.1:5000/hello:1 in 2.1s"). */
  done(message: string): void;
  /** The phase failed: end the status line and show what is still buffered (the error follows). */
  interrupted(): void;
}

/** `auto` is `compact` on a terminal and `lines` elsewhere (CI logs, pipes). */
export function resolveProgressMode(mode: ProgressMode, output: Writable): Exclude<ProgressMode, 'auto'> {
  if (mode !== 'auto') return mode;
  return (output as Writable & { isTTY?: boolean }).isTTY === true ? 'compact' : 'lines';
}

const finishedLayer = /^(Pushed|Layer already exists|Mounted from|Pull complete|Already exists)/;

/** What a build-output line shows in `lines` mode: steps as they are, what a step printed indented. */
export function buildLine(line: string): string | undefined {
  if (isStepHeader(line) || /^Successfully tagged /.test(line)) return `[build] ${line}`;
  if (isStepOutput(line)) return `[build]   ${line}`;
  return undefined;
}

/** What a push or pull message shows in `lines` mode: finished layers and the digest, not byte counts. */
export function layerLine(phase: Exclude<Phase, 'build'>, event: DockerStreamEvent): string | undefined {
  if (typeof event.status !== 'string') return undefined;
  if (event.id !== undefined && finishedLayer.test(event.status)) return `[${phase}] ${event.id}: ${event.status}`;
  if (event.id === undefined && /digest:|^Digest:|^Status:|refers to repository/.test(event.status)) return `[${phase}] ${event.status}`;
  return undefined;
}

interface LayerProgress {
  done: boolean;
  current: number;
  total: number;
}

/** The status text of `compact` mode after a push or pull message: layers done and bytes sent. */
export function layerStatus(phase: Exclude<Phase, 'build'>, event: DockerStreamEvent, layers: Map<string, LayerProgress>): string | undefined {
  if (event.id === undefined || typeof event.status !== 'string') return undefined;
  const layer = layers.get(event.id) ?? { done: false, current: 0, total: 0 };
  if (finishedLayer.test(event.status)) layer.done = true;
  if (event.progressDetail?.total) {
    layer.current = event.progressDetail.current ?? 0;
    layer.total = event.progressDetail.total;
  }
  layers.set(event.id, layer);
  const all = [...layers.values()];
  const done = all.filter((entry) => entry.done).length;
  const sent = all.reduce((sum, entry) => sum + (entry.done ? entry.total : entry.current), 0);
  const total = all.reduce((sum, entry) => sum + entry.total, 0);
  const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);
  return `${phase === 'push' ? 'pushing' : 'pulling'}: ${done}/${all.length} layers${total > 0 ? `, ${megabytes(sent)}/${megabytes(total)} MB` : ''}`;
}

/**
 * Writes build/push progress to `output`, masked for registered secrets: in `lines` mode one line
 * per build step (and what RUN steps print, such as the health check) and per finished layer; in
 * `compact` mode one status line rewritten in place, then a closing line per phase.
 */
export function createProgressReporter(mode: Exclude<ProgressMode, 'auto'>, output: Writable): ProgressReporter {
  const write = (text: string) => output.write(maskSecrets(text));
  if (mode === 'none') return { event: () => {}, done: () => {}, interrupted: () => {} };

  let pending = '';
  // Build output arrives in arbitrary pieces: show whole lines only.
  const buildLines = (event: DockerStreamEvent): string[] => {
    if (typeof event.stream !== 'string') return [];
    const lines = (pending + plainText(event.stream)).split('\n');
    pending = lines.pop() ?? '';
    return lines.map((line) => line.trimEnd());
  };
  const flush = (): string[] => {
    const rest = pending.trimEnd();
    pending = '';
    return rest === '' ? [] : [rest];
  };

  if (mode === 'lines') {
    return {
      event: (phase, event) => {
        const shown = phase === 'build' ? buildLines(event).map(buildLine) : [layerLine(phase, event)];
        for (const line of shown) if (line !== undefined) write(`${line}\n`);
      },
      done: (message) => {
        for (const line of flush().map(buildLine)) if (line !== undefined) write(`${line}\n`);
        write(`${message}\n`);
      },
      interrupted: () => {
        for (const line of flush().map(buildLine)) if (line !== undefined) write(`${line}\n`);
      },
    };
  }

  const layers = new Map<string, LayerProgress>();
  const width = Math.max(20, ((output as Writable & { columns?: number }).columns ?? 100) - 1);
  let phaseShown: Phase | undefined;
  let statusShown = false;
  return {
    event: (phase, event) => {
      if (phase !== phaseShown) {
        layers.clear();
        phaseShown = phase;
      }
      const status = phase === 'build'
        ? buildLines(event).filter(isStepHeader).pop()
        : layerStatus(phase, event, layers);
      if (status !== undefined) {
        write(`\r\x1b[2K${status.slice(0, width)}`);
        statusShown = true;
      }
    },
    done: (message) => {
      flush();
      write(`\r\x1b[2K${message}\n`);
      statusShown = false;
    },
    interrupted: () => {
      flush();
      if (statusShown) write('\n');
      statusShown = false;
    },
  };
}
