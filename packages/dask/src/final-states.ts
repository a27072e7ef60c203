import type { ExecutionPlan, TaskState } from '@flowenv/core';

/** What the bridge reported for one task: the state its task host returned, or a Dask-level error. */
export type TaskOutcome =
  | { kind: 'state'; state: TaskState }
  | { kind: 'dask-error'; name: string; message: string; traceback: string };

/**
 * Final task states in the plan's order. A task's own failure is already a Failed state from its
 * task host; a Dask-level error (task host could not start, worker lost too often, cancelled)
 * becomes Failed for the task where it happened and UpstreamFailed for the tasks Dask failed
 * because of it, as the flow runner would have skipped them.
 */
export function finalStates(plan: ExecutionPlan, outcomes: ReadonlyMap<string, TaskOutcome>): Map<string, TaskState> {
  const states = new Map<string, TaskState>();
  for (const task of plan.tasks) {
    const outcome = outcomes.get(task.name);
    if (outcome === undefined) {
      states.set(task.name, { state: 'Failed', attempts: 0, message: 'Dask reported nothing for this task' });
      continue;
    }
    if (outcome.kind === 'state') {
      states.set(task.name, outcome.state);
      continue;
    }
    const failedUpstream = Object.values(task.upstream).find((name) => states.get(name)?.state !== 'Success');
    if (failedUpstream !== undefined) {
      states.set(task.name, {
        state: 'UpstreamFailed',
        attempts: 0,
        message: `Upstream task "${failedUpstream}" ended in ${states.get(failedUpstream)?.state ?? 'no state'}`,
      });
      continue;
    }
    const message = `Dask could not run the task: ${outcome.name}: ${outcome.message}`;
    states.set(task.name, {
      state: 'Failed',
      attempts: 0,
      message,
      error: { name: outcome.name, message: outcome.message, ...(outcome.traceback === '' ? {} : { stack: outcome.traceback }) },
    });
  }
  return states;
}
