import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { registerSecretValue } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { createProgressReporter, resolveProgressMode, type Phase } from './progress-reporter.js';
import { parseDockerStream } from './read-docker-stream.js';

function recorded(name: string) {
  return parseDockerStream(readFileSync(new URL(`./__fixtures__/streams/${name}.jsonl`, import.meta.url), 'utf8'));
}

function collector(isTTY = false): { output: Writable & { isTTY?: boolean }; text: () => string } {
  const chunks: string[] = [];
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  if (isTTY) {
    output.isTTY = true;
    output.columns = 60;
  }
  return { output, text: () => chunks.join('') };
}

function replay(mode: 'lines' | 'compact', phase: Phase, fixture: string, isTTY = false): string {
  const { output, text } = collector(isTTY);
  const reporter = createProgressReporter(mode, output);
  for (const event of recorded(fixture)) reporter.event(phase, event);
  reporter.done(`${phase} done`);
  return text();
}

describe('progress', () => {
  it('is compact on a terminal and one line per step elsewhere', () => {
    expect(resolveProgressMode('auto', collector(true).output)).toBe('compact');
    expect(resolveProgressMode('auto', collector(false).output)).toBe('lines');
    expect(resolveProgressMode('none', collector(true).output)).toBe('none');
  });

  it('prints each build step and what the health check said, without Docker noise', () => {
    expect(replay('lines', 'build', 'build-success')).toBe(
      [
        '[build] Step 1/8 : FROM flowenv/node-base:20',
        '[build] Step 2/8 : LABEL org.flowenv.storage="DockerStorage"',
        '[build] Step 3/8 : COPY ["runtime/", "/opt/flowenv/"]',
        '[build] Step 4/8 : COPY ["bin/flowenv", "/usr/local/bin/flowenv"]',
        '[build] Step 5/8 : COPY ["flows/", "/opt/prefect/flows/"]',
        '[build] Step 6/8 : COPY ["healthcheck.json", "/opt/flowenv/healthcheck.json"]',
        '[build] Step 7/8 : RUN ["node", "/opt/flowenv/healthcheck.mjs"]',
        '[build]   flowenv-healthcheck: flow "hello docker?!~" loads',
        '[build]   flowenv-healthcheck: 1 flow(s) ok',
        '[build] Step 8/8 : CMD ["flowenv", "execute"]',
        '[build] Successfully tagged record/streams:ok',
        'build done',
        '',
      ].join('\n'),
    );
  });

  it('prints finished layers and the digest of a push', () => {
    const lines = replay('lines', 'push', 'push-success').trimEnd().split('\n');
    expect(lines[0]).toBe('[push] The push refers to repository [127.0.0.1:45000/record/streams]');
    expect(lines.filter((line) => /^\[push\] [0-9a-f]{12}: (Pushed|Layer already exists|Mounted from [a-z/]+)$/.test(line))).toHaveLength(5);
    expect(lines.at(-2)).toMatch(/^\[push\] ok: digest: sha256:[0-9a-f]{64} size: \d+$/);
  });

  it('rewrites one status line on a terminal', () => {
    const text = replay('compact', 'build', 'build-success', true);
    expect(text).toContain('\r\x1b[2KStep 7/8 : RUN ["node", "/opt/flowenv/healthcheck.mjs"]');
    expect(text).not.toContain('\n[build]');
    expect(text.endsWith('\r\x1b[2Kbuild done\n')).toBe(true);
    const push = replay('compact', 'push', 'push-success', true);
    expect(push).toMatch(/pushing: 5\/5 layers/);
  });

  it('masks registered secrets', () => {
    registerSecretValue('hunter2-registry-password');
    const { output, text } = collector();
    const reporter = createProgressReporter('lines', output);
    reporter.event('build', { stream: 'Step 1/1 : RUN echo hunter2-registry-password\n' });
    reporter.done('done');
    expect(text()).toBe('[build] Step 1/1 : RUN echo ********\ndone\n');
  });

  it('shows buffered output and ends the status line when a phase fails', () => {
    const lines = collector();
    const reporter = createProgressReporter('lines', lines.output);
    reporter.event('build', { stream: 'Step 1/1 : RUN x\n' });
    reporter.event('build', { stream: 'no newline at the end' });
    reporter.interrupted();
    expect(lines.text()).toBe('[build] Step 1/1 : RUN x\n[build]   no newline at the end\n');

    const terminal = collector(true);
    const compact = createProgressReporter('compact', terminal.output);
    compact.event('build', { stream: 'Step 1/1 : RUN x\n' });
    compact.interrupted();
    expect(terminal.text()).toBe('\r\x1b[2KStep 1/1 : RUN x\n');
  });

  it('is silent in none mode', () => {
    const { output, text } = collector();
    const reporter = createProgressReporter('none', output);
    reporter.event('build', { stream: 'Step 1/1 : RUN x\n' });
    reporter.done('done');
    expect(text()).toBe('');
  });
});
