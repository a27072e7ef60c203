import { DescribeTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { FlowenvError } from '@flowenv/core';
import type { AwsClients } from './aws-clients.js';
import { mapAwsError, type AwsCallContext } from './map-aws-error.js';
import { retryThrottled, sleep as realSleep } from './retry-throttled.js';
import { isEnding, isRunning, isStopped, stopReasonOf } from './task-facts.js';

export interface PollOptions {
  /** Longest wait between two DescribeTasks calls; the first waits are shorter (250 ms, doubling). */
  pollIntervalMs: number;
  timeoutMs: number;
  callContext?: Omit<AwsCallContext, 'action'>;
  /** For tests. */
  sleep?: (milliseconds: number) => Promise<void>;
  now?: () => number;
}

/** DescribeTasks allows 100 tasks per call. */
const describeBatch = 100;

/** The latest facts about `taskArns` (tasks ECS does not report are left out). */
export async function describeTasks(clients: Pick<AwsClients, 'ecs'>, cluster: string, taskArns: readonly string[], callContext?: Omit<AwsCallContext, 'action'>): Promise<Task[]> {
  const tasks: Task[] = [];
  for (let start = 0; start < taskArns.length; start += describeBatch) {
    const batch = taskArns.slice(start, start + describeBatch);
    const response = await retryThrottled(() => clients.ecs.send(new DescribeTasksCommand({ cluster, tasks: batch }))).catch((error: unknown) => {
      throw mapAwsError(error, { action: 'ecs:DescribeTasks', ...callContext });
    });
    tasks.push(...(response.tasks ?? []));
  }
  return tasks;
}

/** Calls `check` after growing waits (250 ms, 500 ms, … up to the poll interval) until it returns a value or time runs out. */
async function poll<T>(options: PollOptions, check: () => Promise<T | undefined>, onTimeout: () => Error): Promise<T> {
  const wait = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  for (let delay = Math.min(250, options.pollIntervalMs); ; delay = Math.min(delay * 2, options.pollIntervalMs)) {
    const result = await check();
    if (result !== undefined) return result;
    const left = deadline - now();
    if (left <= 0) throw onTimeout();
    await wait(Math.min(delay, left));
  }
}

export interface WaitForRunningOptions extends PollOptions {
  /** "scheduler", "worker": names the tasks in errors. */
  role: string;
  /** Also wait until the task's network interface has its private IP (the scheduler). */
  needsAddress?: boolean;
}

/**
 * Waits until every task is RUNNING (and has its address when asked). Fails fast when one stops
 * instead (DASK_CLUSTER_FAILED with ECS's reasons: image pull errors, TaskFailedToStart, …), and
 * with DASK_CLUSTER_TIMEOUT when time runs out: never a silent hang. Tasks already RUNNING in the
 * RunTask response need no DescribeTasks call.
 */
export async function waitForTasksRunning(clients: Pick<AwsClients, 'ecs'>, cluster: string, started: readonly Task[], options: WaitForRunningOptions): Promise<Task[]> {
  const latest = new Map(started.map((task) => [task.taskArn as string, task]));
  const ready = (task: Task): boolean => isRunning(task) && (!options.needsAddress || (task.attachments ?? []).some((attachment) => attachment.details?.some((detail) => detail.name === 'privateIPv4Address' && detail.value)));
  let first = true;
  return poll(
    options,
    async () => {
      const pending = [...latest.values()].filter((task) => !ready(task));
      if (!first && pending.length > 0) {
        for (const task of await describeTasks(clients, cluster, pending.map((task) => task.taskArn as string), options.callContext)) {
          if (task.taskArn !== undefined) latest.set(task.taskArn, task);
        }
      }
      first = false;
      const ending = [...latest.values()].filter((task) => !ready(task) && isEnding(task));
      if (ending.length > 0) {
        throw new FlowenvError({
          code: 'DASK_CLUSTER_FAILED',
          message: `The Dask ${options.role} task${ending.length > 1 ? 's' : ''} stopped before running: ` +
            ending.map((task) => `${task.taskArn}: ${stopReasonOf(task)}`).join('; '),
        });
      }
      return [...latest.values()].every(ready) ? [...latest.values()] : undefined;
    },
    () => {
      const pending = [...latest.values()].filter((task) => !ready(task));
      return new FlowenvError({
        code: 'DASK_CLUSTER_TIMEOUT',
        message: `The Dask ${options.role} task${pending.length > 1 ? 's' : ''} ${pending.map((task) => `${task.taskArn} (${task.lastStatus ?? 'unknown'})`).join(', ')} ` +
          `did not ${options.needsAddress ? 'get an address and run' : 'run'} within ${options.timeoutMs} ms. ` +
          `Raise ${options.role === 'scheduler' ? 'schedulerTimeoutMs' : 'workerTimeoutMs'}, or check that the subnets have free addresses and can pull the image (NAT or VPC endpoints)`,
        retryable: true,
      });
    },
  );
}

/** Waits until every task is STOPPED; returns the ARNs still not stopped when time runs out. */
export async function waitForTasksStopped(clients: Pick<AwsClients, 'ecs'>, cluster: string, taskArns: readonly string[], options: PollOptions): Promise<string[]> {
  let pending = [...taskArns];
  try {
    return await poll(
      options,
      async () => {
        const described = await describeTasks(clients, cluster, pending, options.callContext);
        const reported = new Set(described.map((task) => task.taskArn));
        // A task ECS no longer reports is gone.
        pending = pending.filter((arn) => reported.has(arn) && !described.some((task) => task.taskArn === arn && isStopped(task)));
        return pending.length === 0 ? [] : undefined;
      },
      () => new Error('timeout'),
    );
  } catch (error) {
    if (error instanceof Error && error.message === 'timeout') return pending;
    throw error;
  }
}
