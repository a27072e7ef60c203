import type { TaskState } from '../flow/state.js';
import { upstreamStates, type ExecutionPlan, type Executor, type TaskRuntime } from './executor.js';

/** Runs tasks one after another in this process, in dependency order (Prefect's LocalExecutor). */
export class LocalExecutor implements Executor {
  // Accepts (and ignores) options so every executor can be built as `new Class(options)`.
  constructor(_options: Record<string, unknown> = {}) {}

  async execute(plan: ExecutionPlan, runtime: TaskRuntime): Promise<Map<string, TaskState>> {
    const states = new Map<string, TaskState>();
    for (const task of plan.tasks) {
      states.set(task.name, await runtime.runTask(task.name, upstreamStates(task, states)));
    }
    return states;
  }
}
