import { StopTaskCommand } from '@aws-sdk/client-ecs';
import { FlowenvError } from '@flowenv/core';
import { buildWorkerRunTaskRequests } from './build-dask-run-task-requests.js';
import type { EcsClusterState } from './ecs-cluster-state.js';
import { mapAwsError } from './map-aws-error.js';
import { retryThrottled } from './retry-throttled.js';
import { runTasks } from './run-tasks.js';
import { waitForTasksRunning } from './wait-for-tasks.js';

/** The worker count `adapt(minimum, maximum)` aims for: the current one, brought within the bounds. */
export function adaptTarget(current: number, minimum: number, maximum: number): number {
  return Math.min(Math.max(current, minimum), maximum);
}

/** Starts `count` worker tasks and waits until they run; each is recorded as soon as RunTask returns it. */
export async function startWorkers(state: EcsClusterState, count: number): Promise<void> {
  if (count <= 0) return;
  const { clusterArn, taskDefinitions, subnets, securityGroups, schedulerAddress } = state;
  if (clusterArn === undefined || taskDefinitions === undefined || subnets === undefined || securityGroups === undefined || schedulerAddress === undefined) {
    throw new FlowenvError({ code: 'DASK_CLUSTER_FAILED', message: `Dask cluster ${state.identity.name} has no scheduler yet: create it first` });
  }
  const requests = buildWorkerRunTaskRequests(state.settings, {
    identity: state.identity,
    clusterArn,
    taskDefinitionArn: taskDefinitions.worker,
    subnets,
    securityGroups,
    schedulerAddress,
    count,
    step: state.scalingSteps++,
  });
  const started = await runTasks(state.clients, requests, {
    callContext: state.callContext,
    ...state.clock,
    onStarted: (tasks) => {
      for (const task of tasks) {
        if (task.taskArn === undefined) continue;
        state.resources.push({ kind: 'task', arn: task.taskArn, cluster: clusterArn, role: 'worker' });
        state.workers.push(task.taskArn);
      }
    },
  });
  state.logger.info(`Started ${started.length} Dask worker task(s) for ${state.identity.name}`);
  await waitForTasksRunning(state.clients, clusterArn, started, {
    role: 'worker',
    pollIntervalMs: state.settings.pollIntervalMs,
    timeoutMs: state.settings.workerTimeoutMs,
    callContext: state.callContext,
    ...state.clock,
  });
}

/**
 * Stops the `count` newest workers. They stay among the cluster's resources until teardown has
 * seen them STOPPED.
 */
export async function stopWorkers(state: EcsClusterState, count: number): Promise<void> {
  const cluster = state.clusterArn;
  if (count <= 0 || cluster === undefined) return;
  const stopping = state.workers.splice(Math.max(0, state.workers.length - count));
  await Promise.all(stopping.map((task) =>
    retryThrottled(() => state.clients.ecs.send(new StopTaskCommand({ cluster, task, reason: `flowenv: Dask cluster ${state.identity.name} scaled down` }))).catch((error: unknown) => {
      throw mapAwsError(error, { action: 'ecs:StopTask', ...state.callContext });
    })));
  state.logger.info(`Stopped ${stopping.length} Dask worker task(s) of ${state.identity.name}`);
}
