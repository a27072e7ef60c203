import { RunTaskCommand, type RunTaskCommandInput, type Task } from '@aws-sdk/client-ecs';
import { FlowenvError } from '@flowenv/core';
import type { AwsClients } from './aws-clients.js';
import { awsErrorMessage, mapAwsError, type AwsCallContext } from './map-aws-error.js';
import { retryThrottled, sleep as realSleep } from './retry-throttled.js';

export interface RunTasksOptions {
  callContext?: Omit<AwsCallContext, 'action'>;
  /** How long to keep retrying while IAM has not yet propagated a role created for the run (default 60000 ms). */
  rolePropagationMs?: number;
  /** Called with every task RunTask started, before failures are reported (so they get recorded and torn down). */
  onStarted(tasks: Task[]): void;
  /** For tests. */
  sleep?: (milliseconds: number) => Promise<void>;
  now?: () => number;
}

/**
 * A role created seconds ago may not be usable by ECS yet (IAM is eventually consistent): ECS
 * answers "ECS was unable to assume the role …" for a while.
 */
export function isRoleNotYetUsable(error: unknown): boolean {
  return /unable to assume the role|role .* (is )?not (yet )?(valid|authorized)|not authorized to perform: sts:AssumeRole/i.test(awsErrorMessage(error));
}

/**
 * Sends each RunTask request; returns the tasks it started. Throttling is retried with jitter (the
 * same clientToken makes a retried call idempotent), a not-yet-usable new role is retried for a
 * while, and `failures` in a response are an error (DASK_CLUSTER_FAILED), not ignored.
 */
export async function runTasks(clients: Pick<AwsClients, 'ecs'>, requests: readonly RunTaskCommandInput[], options: RunTasksOptions): Promise<Task[]> {
  const wait = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const started: Task[] = [];
  for (const request of requests) {
    const deadline = now() + (options.rolePropagationMs ?? 60_000);
    let response;
    for (let delay = 1_000; ; delay = Math.min(delay * 2, 8_000)) {
      try {
        response = await retryThrottled(() => clients.ecs.send(new RunTaskCommand(request)));
        break;
      } catch (error) {
        if (!isRoleNotYetUsable(error) || now() >= deadline) throw mapAwsError(error, { action: 'ecs:RunTask', ...options.callContext });
        await wait(delay);
      }
    }
    const tasks = response.tasks ?? [];
    started.push(...tasks);
    options.onStarted(tasks);
    const failures = response.failures ?? [];
    if (failures.length > 0 || tasks.length < (request.count ?? 1)) {
      const reasons = failures.map((failure) => `${failure.arn ? `${failure.arn}: ` : ''}${failure.reason ?? 'unknown reason'}${failure.detail ? ` (${failure.detail})` : ''}`);
      throw new FlowenvError({
        code: 'DASK_CLUSTER_FAILED',
        message: `RunTask started ${tasks.length} of ${request.count ?? 1} ${request.overrides?.containerOverrides?.[0]?.name ?? 'Dask'} task(s) from ${request.taskDefinition}: ` +
          (reasons.length > 0 ? reasons.join('; ') : 'no failure reported'),
      });
    }
  }
  return started;
}
