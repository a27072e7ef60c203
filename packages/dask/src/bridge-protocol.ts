import type { TaskState } from '@flowenv/core';

/**
 * The JSON-lines protocol between DaskExecutor and its Python bridge (python/flowenv_dask_bridge.py).
 * Requests go to the bridge's stdin, events come from its stdout.
 */
export interface SubmittedTask {
  /** The Dask key: unique per run. */
  key: string;
  /** The flow's task name, run by the task host. */
  task: string;
  /** [argument name, Dask key of the upstream task]: Dask hands the upstream states over on the worker. */
  upstream: Array<[string, string]>;
}

export type BridgeRequest =
  /** `runText` is the JSON text of {@link RunDescription}, kept opaque by Python. */
  | { op: 'run'; run: string; runText: string }
  | { op: 'submit'; run: string; tasks: SubmittedTask[] }
  | { op: 'release'; run: string }
  | { op: 'close' };

export type FatalKind = 'missing-module' | 'connect-failed' | 'version-mismatch' | 'start-failed' | 'internal';

export type BridgeEvent =
  | { op: 'connecting'; python: string; distributed: string }
  | { op: 'ready'; scheduler: string; workers: number; python: string; distributed: string }
  | { op: 'done'; key: string; state: TaskState }
  | { op: 'error'; key: string; name: string; message: string; traceback: string }
  | { op: 'fatal'; kind: FatalKind; message: string; module?: string };

const taskStateNames = new Set(['Pending', 'Running', 'Retrying', 'Success', 'Failed', 'TimedOut', 'UpstreamFailed']);

/** Checks an event's shape; anything unexpected is reported as undefined (and logged by the caller). */
export function parseBridgeEvent(message: Record<string, unknown>): BridgeEvent | undefined {
  const text = (name: string): string | undefined => (typeof message[name] === 'string' ? (message[name] as string) : undefined);
  switch (message['op']) {
    case 'connecting':
      return { op: 'connecting', python: text('python') ?? '?', distributed: text('distributed') ?? '?' };
    case 'ready':
      return {
        op: 'ready',
        scheduler: text('scheduler') ?? '?',
        workers: typeof message['workers'] === 'number' ? message['workers'] : 0,
        python: text('python') ?? '?',
        distributed: text('distributed') ?? '?',
      };
    case 'done': {
      const key = text('key');
      const state = message['state'] as Partial<TaskState> | undefined;
      if (key === undefined || typeof state !== 'object' || state === null || !taskStateNames.has(String(state.state))) return undefined;
      return { op: 'done', key, state: state as TaskState };
    }
    case 'error': {
      const key = text('key');
      if (key === undefined) return undefined;
      return { op: 'error', key, name: text('name') ?? 'Error', message: text('message') ?? '', traceback: text('traceback') ?? '' };
    }
    case 'fatal': {
      const module = text('module');
      return {
        op: 'fatal',
        kind: (text('kind') ?? 'internal') as FatalKind,
        message: text('message') ?? '',
        ...(module === undefined ? {} : { module }),
      };
    }
    default:
      return undefined;
  }
}
