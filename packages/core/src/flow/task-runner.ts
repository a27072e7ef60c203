import type { RunContext } from '../config/context.js';
import { serializeError, type TaskState } from './state.js';
import type { TaskContext, TaskDefinition } from './task.js';

export type TaskStateListener = (taskName: string, state: TaskState) => void;

export interface TaskRunEnvironment {
  readonly flowName: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly runContext: RunContext;
  readonly onState?: TaskStateListener | undefined;
}

/** A signal that never aborts, shared by every task without a timeout (no per-task allocation). */
const neverAborted = new AbortController().signal;

class TaskTimeoutError extends Error {
  constructor(taskName: string, timeoutMs: number) {
    super(`Task "${taskName}" timed out after ${timeoutMs} ms`);
    this.name = 'TaskTimeoutError';
  }
}

/**
 * Runs one task to a final state: skips it when an upstream did not succeed, otherwise calls its
 * function with the upstream results, retrying failures and timeouts as the task asks.
 * Selected by `engine.task_runner.default_class` (PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS).
 */
export class TaskRunner {
  constructor(readonly task: TaskDefinition) {}

  async run(upstream: Readonly<Record<string, TaskState>>, environment: TaskRunEnvironment): Promise<TaskState> {
    const { task } = this;
    const inputs: Record<string, unknown> = {};
    for (const argument in task.upstream) {
      const state = upstream[argument];
      if (state === undefined || state.state !== 'Success') {
        const upstreamName = task.upstream[argument] as string;
        return this.finish(environment, {
          state: 'UpstreamFailed',
          attempts: 0,
          message: `Upstream task "${upstreamName}" ended in ${state?.state ?? 'no state'}`,
        });
      }
      inputs[argument] = state.result;
    }

    const startedAt = Date.now();
    environment.onState?.(task.name, { state: 'Running', attempts: 0, startedAt });
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.attempt(inputs, environment, attempt);
        return this.finish(environment, { state: 'Success', result, attempts: attempt, startedAt, finishedAt: Date.now() });
      } catch (error) {
        const timedOut = error instanceof TaskTimeoutError;
        if (attempt <= task.retries) {
          environment.onState?.(task.name, {
            state: 'Retrying',
            attempts: attempt,
            startedAt,
            error: serializeError(error),
            message: `Attempt ${attempt} of ${task.retries + 1} ${timedOut ? 'timed out' : 'failed'}; retrying in ${task.retryDelayMs} ms`,
          });
          if (task.retryDelayMs > 0) await delay(task.retryDelayMs);
          continue;
        }
        return this.finish(environment, {
          state: timedOut ? 'TimedOut' : 'Failed',
          error: serializeError(error),
          message: error instanceof Error ? error.message : String(error),
          attempts: attempt,
          startedAt,
          finishedAt: Date.now(),
        });
      }
    }
  }

  private async attempt(inputs: Record<string, unknown>, environment: TaskRunEnvironment, attempt: number): Promise<unknown> {
    const { task } = this;
    const context = (signal: AbortSignal): TaskContext => ({
      flowName: environment.flowName,
      taskName: task.name,
      attempt,
      parameters: environment.parameters,
      runContext: environment.runContext,
      signal,
    });
    if (task.timeoutMs === undefined) return await task.run(inputs, context(neverAborted));

    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new TaskTimeoutError(task.name, task.timeoutMs as number);
        controller.abort(error);
        reject(error);
      }, task.timeoutMs);
    });
    try {
      return await Promise.race([Promise.resolve().then(() => task.run(inputs, context(controller.signal))), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private finish(environment: TaskRunEnvironment, state: TaskState): TaskState {
    environment.onState?.(this.task.name, state);
    return state;
  }
}

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
