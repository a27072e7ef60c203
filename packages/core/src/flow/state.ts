/**
 * Task and flow states. They are plain JSON objects on purpose: they travel between worker
 * threads, Dask workers and the flow runner without any class identity.
 */
export type TaskStateName =
  | 'Pending'
  | 'Running'
  | 'Retrying'
  | 'Success'
  | 'Failed'
  | 'TimedOut'
  /** Not run because an upstream task did not succeed (Prefect's TriggerFailed/skip). */
  | 'UpstreamFailed';

export type FlowStateName = 'Success' | 'Failed';

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  exitCode?: number;
}

export interface TaskState {
  state: TaskStateName;
  /** The task's return value (Success only). */
  result?: unknown;
  error?: SerializedError;
  message?: string;
  /** How many times the task function was called. */
  attempts: number;
  startedAt?: number;
  finishedAt?: number;
}

const finishedStates: ReadonlySet<TaskStateName> = new Set(['Success', 'Failed', 'TimedOut', 'UpstreamFailed']);

export function isFinishedState(state: TaskState): boolean {
  return finishedStates.has(state.state);
}

export function isSuccessfulState(state: TaskState): boolean {
  return state.state === 'Success';
}

/** Keeps what a user needs to debug a failure: name, message, stack and any `code`/`exitCode`. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const serialized: SerializedError = { name: error.name, message: error.message };
    if (error.stack !== undefined) serialized.stack = error.stack;
    const { code, exitCode } = error as { code?: unknown; exitCode?: unknown };
    if (typeof code === 'string') serialized.code = code;
    if (typeof exitCode === 'number') serialized.exitCode = exitCode;
    return serialized;
  }
  return { name: 'Error', message: typeof error === 'string' ? error : JSON.stringify(error) ?? String(error) };
}
