import { GetLogEventsCommand, type GetLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTasksCommand, StopTaskCommand, type ContainerDefinition, type Task } from '@aws-sdk/client-ecs';
import { describeError, FlowenvError, type Logger, type RunHandle, type RunOutcome } from '@flowenv/core';
import type { AwsClients } from './aws-clients.js';
import { FLOW_CONTAINER_NAME } from './flow-container.js';
import { mapAwsError, type AwsCallContext } from './map-aws-error.js';
import { retryThrottled, sleep as defaultSleep } from './retry-throttled.js';

/** Where a task's container writes its CloudWatch Logs (the `awslogs` driver). */
export interface AwsLogsLocation {
  group: string;
  stream: string;
  /** `awslogs-region`, when the container names one. */
  region?: string | undefined;
}

/** The exit code ECS reports for a container the kernel killed for using too much memory (128 + SIGKILL). */
const outOfMemoryExitCode = 137;
/** Lines of the task's log attached to a failed outcome. */
const logTailLines = 20;

/** The task id: the last part of its ARN (`arn:aws:ecs:…:task/<cluster>/<id>`). */
export function taskIdOf(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

/**
 * Where the flow container's logs go, when it uses the `awslogs` driver with a stream prefix: ECS
 * names the stream `<prefix>/<container name>/<task id>`. Without a prefix (possible on EC2 only)
 * the stream is named after the Docker container id, which ECS does not report, so undefined.
 */
export function awsLogsLocation(container: ContainerDefinition | undefined, taskArn: string): AwsLogsLocation | undefined {
  const configuration = container?.logConfiguration;
  if (configuration?.logDriver !== 'awslogs') return undefined;
  const group = configuration.options?.['awslogs-group'];
  const prefix = configuration.options?.['awslogs-stream-prefix'];
  if (group === undefined || prefix === undefined || container?.name === undefined) return undefined;
  return { group, stream: `${prefix}/${container.name}/${taskIdOf(taskArn)}`, region: configuration.options?.['awslogs-region'] };
}

/**
 * A stopped task's outcome, from what DescribeTasks reports: stop code, stopped reason and the flow
 * container's exit code. Stopped by StopTask (or flowenv's cancel) → Cancelled; exit 0 → Success;
 * anything else → Failed with a reason a person can act on (TaskFailedToStart, OutOfMemory, the
 * exit code, CannotPullContainerError, …).
 */
export function taskOutcome(task: Task, options: { cancelled?: boolean } = {}): RunOutcome {
  const container = task.containers?.find((candidate) => candidate.name === FLOW_CONTAINER_NAME) ?? task.containers?.[0];
  const stopped = [task.stopCode, task.stoppedReason].filter(Boolean).join(': ') || 'task stopped';
  const containerName = container?.name ?? FLOW_CONTAINER_NAME;
  const containerReason = container?.reason ? ` (${container.reason})` : '';

  // A cancelled flow may still exit 0 on SIGTERM: it was cancelled all the same.
  if (task.stopCode === 'UserInitiated' || options.cancelled === true) {
    return { state: 'Cancelled', reason: task.stoppedReason || 'stopped by StopTask' };
  }
  if (container?.exitCode === 0) return { state: 'Success' };
  if (task.stopCode === 'TaskFailedToStart') {
    return { state: 'Failed', reason: `TaskFailedToStart: ${task.stoppedReason ?? 'the task did not start'}${containerReason}` };
  }
  if (container?.exitCode === outOfMemoryExitCode || /OutOfMemory/i.test(container?.reason ?? '')) {
    return {
      state: 'Failed',
      reason: `OutOfMemory: container ${containerName} was killed (exit ${container?.exitCode ?? outOfMemoryExitCode})${containerReason}; raise the task or container memory`,
    };
  }
  if (container?.exitCode !== undefined && container.exitCode !== null) {
    return { state: 'Failed', reason: `container ${containerName} exited with code ${container.exitCode}${containerReason} — ${stopped}` };
  }
  return { state: 'Failed', reason: `${stopped}${containerReason}` };
}

export interface TaskHandleInput {
  clients: AwsClients;
  /** Clients for another region (a container's `awslogs-region`). */
  clientsForRegion?: (region: string) => AwsClients;
  cluster?: string | undefined;
  taskArns: readonly string[];
  taskDefinitionArn: string;
  /** The flow container's definition as registered (for its log configuration). */
  flowContainer?: ContainerDefinition | undefined;
  /** Longest wait between two DescribeTasks calls (the first waits are shorter). */
  pollIntervalMs: number;
  logger: Logger;
  region?: string | undefined;
  endpoint?: string | undefined;
  sleep?: (milliseconds: number) => Promise<void>;
}

/**
 * The RunHandle of an ECS task run: `wait()` polls DescribeTasks until every task is STOPPED (the
 * interval grows from 1 s up to `pollIntervalMs`) and reports the outcome with the last log lines
 * of a failed run; `logs()` reads the flow container's CloudWatch Logs; `cancel()` stops the tasks.
 */
export function createTaskHandle(input: TaskHandleInput): RunHandle {
  const sleep = input.sleep ?? defaultSleep;
  const context = (action: string): AwsCallContext => ({ action, region: input.region, endpoint: input.endpoint });
  let cancelled = false;

  const describe = async (): Promise<Task[]> => {
    const response = await retryThrottled(() =>
      input.clients.ecs.send(new DescribeTasksCommand({ ...(input.cluster === undefined ? {} : { cluster: input.cluster }), tasks: [...input.taskArns] })),
    ).catch((error: unknown) => {
      throw mapAwsError(error, context('ecs:DescribeTasks'));
    });
    const missing = (response.failures ?? []).map((failure) => `${failure.arn ?? 'task'}: ${failure.reason ?? 'unknown'}${failure.detail ? ` (${failure.detail})` : ''}`);
    const tasks = response.tasks ?? [];
    if (tasks.length === 0) {
      throw new FlowenvError({
        code: 'AWS_REQUEST_FAILED',
        message: `ECS does not know task ${input.taskArns.join(', ')}${missing.length > 0 ? ` (${missing.join('; ')})` : ''}: ECS forgets stopped tasks about an hour after they stop`,
      });
    }
    return tasks;
  };

  const regionalClients = new Map<string, AwsClients>();
  const logClients = (location: AwsLogsLocation): AwsClients => {
    if (location.region === undefined || location.region === input.region || input.clientsForRegion === undefined) return input.clients;
    let clients = regionalClients.get(location.region);
    if (clients === undefined) {
      clients = input.clientsForRegion(location.region);
      regionalClients.set(location.region, clients);
    }
    return clients;
  };

  /** One page of log events after `nextToken`; an absent stream (not created yet) is an empty page. */
  const readLogPage = async (location: AwsLogsLocation, nextToken: string | undefined, fromHead: boolean, limit?: number): Promise<GetLogEventsCommandOutput | undefined> => {
    try {
      return await retryThrottled(() =>
        logClients(location).logs.send(
          new GetLogEventsCommand({
            logGroupName: location.group,
            logStreamName: location.stream,
            startFromHead: fromHead,
            ...(nextToken === undefined ? {} : { nextToken }),
            ...(limit === undefined ? {} : { limit }),
          }),
        ),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw mapAwsError(error, context('logs:GetLogEvents'));
    }
  };

  const logTail = async (taskArn: string): Promise<string[] | undefined> => {
    const location = awsLogsLocation(input.flowContainer, taskArn);
    if (location === undefined) return undefined;
    try {
      const page = await readLogPage(location, undefined, false, logTailLines);
      return (page?.events ?? []).map((event) => event.message ?? '');
    } catch (error) {
      input.logger.debug(`Could not read the log tail of ${taskArn}: ${describeError(error)}`);
      return undefined;
    }
  };

  const wait: RunHandle['wait'] = async (options = {}) => {
    let interval = Math.min(1_000, input.pollIntervalMs);
    for (;;) {
      options.signal?.throwIfAborted();
      const tasks = await describe();
      if (tasks.length > 0 && tasks.every((task) => task.lastStatus === 'STOPPED')) {
        const outcomes = tasks.map((task) => ({ task, outcome: taskOutcome(task, { cancelled }) }));
        const failed = outcomes.find(({ outcome }) => outcome.state !== 'Success');
        if (failed === undefined) return { state: 'Success' };
        const prefix = tasks.length > 1 ? `task ${taskIdOf(failed.task.taskArn ?? '')}: ` : '';
        const outcome: RunOutcome = { ...failed.outcome, ...(failed.outcome.reason ? { reason: `${prefix}${failed.outcome.reason}` } : {}) };
        if (outcome.state === 'Failed' && failed.task.taskArn !== undefined) {
          const tail = await logTail(failed.task.taskArn);
          if (tail !== undefined && tail.length > 0) outcome.logTail = tail;
        }
        return outcome;
      }
      await sleepUnlessAborted(sleep, interval, options.signal);
      interval = Math.min(input.pollIntervalMs, interval * 2);
    }
  };

  async function* logs(options: { follow?: boolean } = {}): AsyncIterable<string> {
    const prefixed = input.taskArns.length > 1;
    for (const taskArn of input.taskArns) {
      const location = awsLogsLocation(input.flowContainer, taskArn);
      if (location === undefined) {
        input.logger.info(`The ${FLOW_CONTAINER_NAME} container does not log with awslogs and a stream prefix: no logs to read for ${taskArn}`);
        return;
      }
      let nextToken: string | undefined;
      let stoppedSeen = false;
      for (;;) {
        const page = await readLogPage(location, nextToken, true);
        for (const event of page?.events ?? []) yield prefixed ? `[${taskIdOf(taskArn)}] ${event.message ?? ''}` : (event.message ?? '');
        const moved = page?.nextForwardToken !== undefined && page.nextForwardToken !== nextToken;
        if (page?.nextForwardToken !== undefined) nextToken = page.nextForwardToken;
        if (moved && (page?.events?.length ?? 0) > 0) continue;
        // Drained what there is: stop unless following a task that still runs (one last read after it stopped).
        if (!options.follow || stoppedSeen) break;
        const [task] = await describe().then((tasks) => tasks.filter((candidate) => candidate.taskArn === taskArn));
        if (task === undefined || task.lastStatus === 'STOPPED') stoppedSeen = true;
        else await sleep(Math.min(2_000, input.pollIntervalMs));
      }
    }
  }

  const cancel = async (): Promise<void> => {
    cancelled = true;
    for (const taskArn of input.taskArns) {
      await retryThrottled(() =>
        input.clients.ecs.send(
          new StopTaskCommand({ ...(input.cluster === undefined ? {} : { cluster: input.cluster }), task: taskArn, reason: 'Cancelled by flowenv' }),
        ),
      ).catch((error: unknown) => {
        throw mapAwsError(error, context('ecs:StopTask'));
      });
    }
  };

  const firstArn = input.taskArns[0] ?? '';
  return {
    kind: 'ecs-task',
    id: firstArn,
    details: {
      ...(input.cluster === undefined ? {} : { cluster: input.cluster }),
      taskDefinition: input.taskDefinitionArn,
      ...(input.taskArns.length > 1 ? { tasks: input.taskArns.join(',') } : {}),
    },
    wait,
    logs,
    cancel,
  };
}

async function sleepUnlessAborted(sleep: (milliseconds: number) => Promise<void>, milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return sleep(milliseconds);
  signal.throwIfAborted();
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    sleep(milliseconds).then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      reject,
    );
  });
}
