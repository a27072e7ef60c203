import { LocalExecutor, type ExecutionPlan, type Executor, type TaskRuntime } from '@flowenv/core';

/** Options each RecordingExecutor was built with, and the flows it ran, in order. */
export const recorded: { options: Record<string, unknown>[]; flows: string[]; closed: number } = { options: [], flows: [], closed: 0 };

/** An executor loaded by `module#Export` path that records what it was given, then runs tasks in order. */
export class RecordingExecutor implements Executor {
  private readonly inner = new LocalExecutor();

  constructor(options: Record<string, unknown> = {}) {
    recorded.options.push(options);
  }

  execute(plan: ExecutionPlan, runtime: TaskRuntime) {
    recorded.flows.push(plan.flowName);
    return this.inner.execute(plan, runtime);
  }

  async close(): Promise<void> {
    recorded.closed++;
  }
}
