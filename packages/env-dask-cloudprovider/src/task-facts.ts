import type { Task } from '@aws-sdk/client-ecs';

/** Statuses of a task that is on its way out or gone (it will never run). */
const endingStatuses = new Set(['DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED', 'DELETED']);

export function isRunning(task: Task): boolean {
  return task.lastStatus === 'RUNNING' && task.desiredStatus !== 'STOPPED';
}

export function isEnding(task: Task): boolean {
  return endingStatuses.has(task.lastStatus ?? '') || task.desiredStatus === 'STOPPED';
}

export function isStopped(task: Task): boolean {
  return task.lastStatus === 'STOPPED' || task.lastStatus === 'DELETED';
}

function eniDetail(task: Task, name: string): string | undefined {
  for (const attachment of task.attachments ?? []) {
    if (attachment.type !== 'ElasticNetworkInterface') continue;
    const value = attachment.details?.find((detail) => detail.name === name)?.value;
    if (value) return value;
  }
  return undefined;
}

/**
 * The task's private IPv4 address, from its network interface attachment (awsvpc): known as soon
 * as ECS attached the interface, with no log scraping (dask-cloudprovider parsed the scheduler's
 * CloudWatch logs, which was slow and fragile: dask/dask-cloudprovider#50, #333).
 */
export function privateIpOf(task: Task): string | undefined {
  return eniDetail(task, 'privateIPv4Address');
}

export function networkInterfaceIdOf(task: Task): string | undefined {
  return eniDetail(task, 'networkInterfaceId');
}

/** Why a task stopped, for error messages: ECS's reason and stop code, and each container's reason or exit code. */
export function stopReasonOf(task: Task): string {
  const containers = (task.containers ?? [])
    .map((container) => {
      const parts = [container.reason, container.exitCode === undefined ? undefined : `exit code ${container.exitCode}`].filter(Boolean);
      return parts.length > 0 ? `${container.name ?? 'container'}: ${parts.join(', ')}` : undefined;
    })
    .filter((text): text is string => text !== undefined);
  const reason = task.stoppedReason || (isStopped(task) ? 'no reason given' : `last status ${task.lastStatus ?? 'unknown'}`);
  return `${reason}${task.stopCode ? ` (${task.stopCode})` : ''}${containers.length > 0 ? `; ${containers.join('; ')}` : ''}`;
}

/** The task id (last part of its ARN), as in its awslogs stream name. */
export function taskIdOf(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}
