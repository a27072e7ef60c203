import type { RunContext } from '../config/context.js';

/** A handle on a task (or parameter) of a flow; pass it as an upstream of another task. */
export interface TaskRef<T = unknown> {
  readonly name: string;
  /** Type-only marker carrying the task's result type; never set at run time. */
  readonly __result?: T;
}

/** Upstream tasks of a task: argument name → task handle, or a task name. */
export type UpstreamMap = Record<string, TaskRef<unknown> | string>;

/** What a task function receives: each upstream's result under its argument name. */
export type TaskInputs<U extends UpstreamMap> = {
  [K in keyof U]: U[K] extends TaskRef<infer T> ? T : unknown;
};

export interface TaskContext {
  readonly flowName: string;
  readonly taskName: string;
  /** 1 for the first try, 2 for the first retry, … */
  readonly attempt: number;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly runContext: RunContext;
  /** Aborted when the task times out, so cooperative work can stop early. */
  readonly signal: AbortSignal;
}

export type TaskFunction<I, R> = (inputs: I, context: TaskContext) => R | Promise<R>;

export interface TaskOptions<U extends UpstreamMap = UpstreamMap> {
  /** Upstream tasks whose results this task receives (default: none). */
  upstream?: U;
  /** How many times to retry after a failure or timeout (default 0). */
  retries?: number;
  /** Pause between attempts, in milliseconds (default 0). */
  retryDelayMs?: number;
  /** Fail the attempt as TimedOut after this many milliseconds (default: no limit). */
  timeoutMs?: number;
  /**
   * CPU-bound work: LocalParallelExecutor runs it on a worker thread when the flow was loaded
   * from a module file (default false).
   */
  cpu?: boolean;
}

export interface TaskDefinition {
  readonly kind: 'task' | 'parameter';
  readonly name: string;
  /** Argument name → upstream task name. */
  readonly upstream: Readonly<Record<string, string>>;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly timeoutMs: number | undefined;
  readonly cpu: boolean;
  readonly run: TaskFunction<Record<string, unknown>, unknown>;
}
