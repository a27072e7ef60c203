import { LocalExecutor, type ExecutionPlan, type Executor, type TaskRuntime } from '@flowenv/core';

/** Options each RecordingExecutor was built with, in order (8.8.17: the executor gets executorOptions). */
export const recordedExecutorOptions: Record<string, unknown>[] = [];

export class RecordingExecutor implements Executor {
  private readonly inner = new LocalExecutor();

  constructor(options: Record<string, unknown> = {}) {
    recordedExecutorOptions.push(options);
  }

  execute(plan: ExecutionPlan, runtime: TaskRuntime) {
    return this.inner.execute(plan, runtime);
  }
}
