import type { RunTaskCommandInput, TaskOverride } from '@aws-sdk/client-ecs';
import { FlowenvError } from '@flowenv/core';
import { SCHEDULER_CONTAINER, WORKER_CONTAINER, workerCommand } from './build-dask-task-definitions.js';
import type { ClusterIdentity } from './cluster-identity.js';
import { daskTlsEnvironment } from './dask-tls-environment.js';
import type { EcsClusterSettings } from './ecs-cluster-options.js';
import { ecsTags, resourceTags } from './resource-tags.js';

/** ECS allows at most 8192 characters of overrides per RunTask (JSON formatting included). */
export const MAX_OVERRIDES_LENGTH = 8192;

/** RunTask starts at most 10 tasks per call. */
export const MAX_TASKS_PER_RUN_TASK = 10;

export interface RunTaskInput {
  identity: ClusterIdentity;
  clusterArn: string;
  taskDefinitionArn: string;
  subnets: readonly string[];
  securityGroups: readonly string[];
}

function baseRequest(settings: EcsClusterSettings, input: RunTaskInput, role: 'scheduler' | 'worker', count: number, clientToken: string, overrides: TaskOverride): RunTaskCommandInput {
  const length = JSON.stringify(overrides).length;
  if (length > MAX_OVERRIDES_LENGTH) {
    throw new FlowenvError({
      code: 'OPTIONS_INVALID',
      message: `The ${role} RunTask overrides (command and environment) are ${length} characters; ECS allows ${MAX_OVERRIDES_LENGTH}. ` +
        'Use a shorter `workerCommand`',
    });
  }
  return {
    cluster: input.clusterArn,
    taskDefinition: input.taskDefinitionArn,
    launchType: settings.launchType,
    count,
    // Ownership: teardown also stops any task ListTasks finds with this startedBy.
    startedBy: input.identity.name,
    group: `flowenv-dask:${input.identity.name}`,
    clientToken,
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [...input.subnets],
        securityGroups: [...input.securityGroups],
        // Fargate only; on EC2 awsvpc tasks never get public IPs.
        ...(settings.launchType === 'FARGATE' ? { assignPublicIp: settings.assignPublicIp ? 'ENABLED' : 'DISABLED' } : {}),
      },
    },
    overrides,
    tags: ecsTags(resourceTags(settings.tags, input.identity.runId)),
  };
}

/**
 * RunTask of the scheduler: one task. The overrides carry no TLS material (anyone allowed
 * ecs:DescribeTasks reads them): the task definition's `secrets` bring it from the run's secret.
 */
export function buildSchedulerRunTaskRequest(settings: EcsClusterSettings, input: RunTaskInput): RunTaskCommandInput {
  return baseRequest(settings, input, 'scheduler', 1, `${input.identity.name}-scheduler`, {
    containerOverrides: [{ name: SCHEDULER_CONTAINER, environment: daskTlsEnvironment() }],
  });
}

export interface WorkerRunTaskInput extends RunTaskInput {
  schedulerAddress: string;
  /** Workers to start. */
  count: number;
  /** Number of this scaling step in the cluster's life, for idempotency tokens (0 at creation). */
  step: number;
}

/**
 * RunTask requests that start `count` workers (batches of 10), each with the scheduler address
 * appended to its command (TLS material comes from the task definition's `secrets`).
 */
export function buildWorkerRunTaskRequests(settings: EcsClusterSettings, input: WorkerRunTaskInput): RunTaskCommandInput[] {
  const requests: RunTaskCommandInput[] = [];
  for (let started = 0, batch = 0; started < input.count; started += MAX_TASKS_PER_RUN_TASK, batch++) {
    const count = Math.min(MAX_TASKS_PER_RUN_TASK, input.count - started);
    requests.push(baseRequest(settings, input, 'worker', count, `${input.identity.name}-workers-${input.step}-${batch}`, {
      containerOverrides: [
        {
          name: WORKER_CONTAINER,
          command: [...workerCommand(settings), input.schedulerAddress],
          environment: daskTlsEnvironment(),
        },
      ],
    }));
  }
  return requests;
}
