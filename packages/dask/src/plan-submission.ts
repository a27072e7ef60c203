import type { ExecutionPlan } from '@flowenv/core';
import type { BridgeRequest, SubmittedTask } from './bridge-protocol.js';
import type { RunDescription } from './task-host-protocol.js';

/** The bridge requests that start one run of a plan, and the Dask key of each task. */
export interface PlanSubmission {
  run: BridgeRequest & { op: 'run' };
  submit: BridgeRequest & { op: 'submit' };
  /** Dask key → task name. */
  taskOfKey: Map<string, string>;
}

/**
 * Turns a plan into bridge requests: every task at once, in dependency order, each depending on
 * its upstream tasks' Dask futures, so results move from worker to worker without coming back here.
 * Keys are `<task name>-<run id>`: unique per run, and Dask's dashboard groups them by task.
 */
export function planSubmission(plan: ExecutionPlan & { flowLocation: string }, runId: string): PlanSubmission {
  const keyOf = (taskName: string): string => `${taskName}-${runId}`;
  const description: RunDescription = {
    flowLocation: plan.flowLocation,
    parameters: { ...plan.parameters },
    runContext: plan.runContext,
  };
  const taskOfKey = new Map<string, string>();
  const tasks: SubmittedTask[] = plan.tasks.map((task) => {
    const key = keyOf(task.name);
    taskOfKey.set(key, task.name);
    return {
      key,
      task: task.name,
      upstream: Object.entries(task.upstream).map(([argument, upstream]): [string, string] => [argument, keyOf(upstream)]),
    };
  });
  return {
    run: { op: 'run', run: runId, runText: JSON.stringify(description) },
    submit: { op: 'submit', run: runId, tasks },
    taskOfKey,
  };
}
