import type { RunContext } from '../config/context.js';
import type { TaskState } from '../flow/state.js';

/** One task of a run, as executors see it. */
export interface PlannedTask {
  readonly name: string;
  /** Argument name → upstream task name. */
  readonly upstream: Readonly<Record<string, string>>;
  readonly cpu: boolean;
}

/**
 * Everything an executor needs to run a flow, also in another thread or process: the tasks in
 * dependency order and, for executors that load the flow elsewhere, the flow module's path.
 */
export interface ExecutionPlan {
  readonly flowName: string;
  /** Path of the flow module; absent for a flow built in memory (it can only run in-process). */
  readonly flowLocation: string | undefined;
  readonly tasks: readonly PlannedTask[];
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly runContext: RunContext;
}

/** Runs one task in this process (the flow runner's TaskRunner, bound to the loaded flow). */
export interface TaskRuntime {
  runTask(name: string, upstream: Readonly<Record<string, TaskState>>): Promise<TaskState>;
}

/**
 * Decides where and in which order tasks run. Chosen by a module specifier such as
 * `@flowenv/core#LocalParallelExecutor` (config `engine.executor.default_class`).
 */
export interface Executor {
  /** Runs every task of the plan and returns each task's final state, by task name. */
  execute(plan: ExecutionPlan, runtime: TaskRuntime): Promise<Map<string, TaskState>>;
  /** Releases what the executor holds between runs (threads, connections). */
  close?(): Promise<void>;
}

/** Builds the upstream-state map one task receives. */
export function upstreamStates(
  task: PlannedTask,
  states: ReadonlyMap<string, TaskState>,
): Record<string, TaskState> {
  const upstream: Record<string, TaskState> = {};
  for (const argument in task.upstream) {
    const state = states.get(task.upstream[argument] as string);
    if (state !== undefined) upstream[argument] = state;
  }
  return upstream;
}
