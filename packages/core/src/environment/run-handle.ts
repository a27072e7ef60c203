import type { FlowRunResult } from '../flow/flow-runner.js';

export type RunOutcomeState = 'Success' | 'Failed' | 'Cancelled';

export interface RunOutcome {
  state: RunOutcomeState;
  /** Why a run failed: the flow's message, or the infrastructure's reason (OOMKilled, ImagePullBackOff, …). */
  reason?: string;
  /** The flow's result, when it ran in this process. */
  result?: FlowRunResult;
  /** The last lines the run logged, when they could be read. */
  logTail?: string[];
}

/**
 * What `execute` returns: a way to follow the run it started, wherever it runs. In-process
 * environments return a handle that is already finished.
 */
export interface RunHandle {
  /** What runs: "in-process", "kubernetes-job", "ecs-task", … */
  readonly kind: string;
  /** The run's identity there: job name, task ARN, flow run id, … */
  readonly id: string;
  /** Extra identifying facts for humans (namespace, uid, cluster, …). */
  readonly details: Readonly<Record<string, string>>;
  /** Resolves with the run's outcome once it has ended. */
  wait(options?: { signal?: AbortSignal }): Promise<RunOutcome>;
  /** The run's log lines (follows them until the run ends when `follow` is true). */
  logs(options?: { follow?: boolean }): AsyncIterable<string>;
  /** Stops the run and removes what it created. */
  cancel(): Promise<void>;
}

/** A handle on a run that already finished in this process. */
export function completedRunHandle(result: FlowRunResult, id: string): RunHandle {
  const outcome: RunOutcome = result.state === 'Success'
    ? { state: 'Success', result }
    : { state: 'Failed', reason: result.message, result };
  return {
    kind: 'in-process',
    id,
    details: { flow: result.flowName },
    wait: () => Promise.resolve(outcome),
    logs: async function* () {},
    cancel: () => Promise.resolve(),
  };
}
