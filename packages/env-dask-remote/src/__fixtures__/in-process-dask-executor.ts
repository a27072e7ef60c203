import { upstreamStates, type ExecutionPlan, type Executor, type TaskRuntime, type TaskState } from '@flowenv/core';

/** What the stand-in executor saw: options it was built with, flows it ran, how often it closed. */
export const recorded = { options: [] as Record<string, unknown>[], flows: [] as string[], closed: 0 };

/**
 * Stands in for @flowenv/dask's DaskExecutor in unit tests (no cluster here): records its options
 * and runs the tasks in this process, so the hooks' order around a real run can be checked.
 */
export class InProcessDaskExecutor implements Executor {
  constructor(options: Record<string, unknown> = {}) {
    recorded.options.push(options);
  }

  async execute(plan: ExecutionPlan, runtime: TaskRuntime): Promise<Map<string, TaskState>> {
    recorded.flows.push(plan.flowName);
    const states = new Map<string, TaskState>();
    for (const task of plan.tasks) states.set(task.name, await runtime.runTask(task.name, upstreamStates(task, states)));
    return states;
  }

  async close(): Promise<void> {
    recorded.closed++;
  }
}
