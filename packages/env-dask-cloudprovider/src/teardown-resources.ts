import { DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DeleteSecurityGroupCommand } from '@aws-sdk/client-ec2';
import { DeleteClusterCommand, DeregisterTaskDefinitionCommand, ListTasksCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { DeleteRoleCommand, DeleteRolePolicyCommand, DetachRolePolicyCommand } from '@aws-sdk/client-iam';
import { DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import { describeError, type Logger } from '@flowenv/core';
import type { AwsClients } from './aws-clients.js';
import type { ClusterIdentity } from './cluster-identity.js';
import { describeResource, type CreatedResource } from './created-resource.js';
import { awsErrorMessage, hasAwsErrorName, mapAwsError, type AwsCallContext } from './map-aws-error.js';
import { retryThrottled, sleep as realSleep } from './retry-throttled.js';
import { waitForTasksStopped } from './wait-for-tasks.js';

export interface TeardownContext {
  clients: AwsClients;
  identity: ClusterIdentity;
  /** The cluster the tasks run in (given or created), searched for tasks this cluster started but did not record. */
  clusterArn: string | undefined;
  skipCleanup: boolean;
  timeoutMs: number;
  pollIntervalMs: number;
  callContext: Omit<AwsCallContext, 'action'>;
  logger: Logger;
  /** For tests. */
  sleep?: (milliseconds: number) => Promise<void>;
  now?: () => number;
}

/** A resource teardown could not remove, and why. */
export interface LeftResource {
  resource: CreatedResource;
  reason: string;
}

type Task = Extract<CreatedResource, { kind: 'task' }>;

/**
 * Removes every resource in `resources`, dependents first: stops the tasks (plus any task the
 * cluster's `startedBy` finds that was never recorded) and waits until they are STOPPED, then in
 * parallel deregisters task definitions, deletes the security group (retrying while ECS still
 * holds network interfaces in it), the ECS cluster, the IAM roles (their policies first), the
 * log group and the TLS secret (at once, without a recovery window: the key serves this cluster
 * only, and a deleted secret must not stay readable for days). Something already gone counts as
 * removed. Never throws: what could not be removed is returned with the reason, so the caller can
 * report it and try again.
 */
export async function teardownResources(resources: readonly CreatedResource[], context: TeardownContext): Promise<LeftResource[]> {
  const now = context.now ?? Date.now;
  const deadline = now() + context.timeoutMs;
  const left: LeftResource[] = [];
  const keep = (resource: CreatedResource, error: unknown, action: string): void => {
    const reason = describeError(mapAwsError(error, { action, ...context.callContext }));
    context.logger.warn(`Could not remove ${describeResource(resource)}: ${reason}`);
    left.push({ resource, reason });
  };

  const tasksLeft = await stopTasks(resources.filter((resource): resource is Task => resource.kind === 'task'), context, deadline, keep);
  const rest = resources.filter((resource) => resource.kind !== 'task');
  await Promise.all(rest.map(async (resource) => {
    try {
      switch (resource.kind) {
        case 'task-definition':
          if (resource.runScoped || !context.skipCleanup) {
            await ignoreGone(() => context.clients.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: resource.arn })), 'ClientException', /inactive|not found|does not exist|unable to describe/i);
          }
          break;
        case 'security-group':
          if (tasksLeft) throw new Error('tasks that use it are still running');
          await untilFree(() => ignoreGone(() => context.clients.ec2.send(new DeleteSecurityGroupCommand({ GroupId: resource.id })), 'InvalidGroup.NotFound'), 'DependencyViolation', deadline, context);
          break;
        case 'ecs-cluster':
          if (tasksLeft) throw new Error('tasks are still running in it');
          await untilFree(() => ignoreGone(() => context.clients.ecs.send(new DeleteClusterCommand({ cluster: resource.arn })), 'ClusterNotFoundException'), 'ClusterContainsTasksException', deadline, context);
          break;
        case 'iam-role':
          await Promise.all([
            ...resource.inlinePolicies.map((PolicyName) => ignoreGone(() => context.clients.iam.send(new DeleteRolePolicyCommand({ RoleName: resource.name, PolicyName })), 'NoSuchEntityException', 'NoSuchEntity')),
            ...resource.attachedPolicies.map((PolicyArn) => ignoreGone(() => context.clients.iam.send(new DetachRolePolicyCommand({ RoleName: resource.name, PolicyArn })), 'NoSuchEntityException', 'NoSuchEntity')),
          ]);
          await ignoreGone(() => context.clients.iam.send(new DeleteRoleCommand({ RoleName: resource.name })), 'NoSuchEntityException', 'NoSuchEntity');
          break;
        case 'log-group':
          await ignoreGone(() => context.clients.logs.send(new DeleteLogGroupCommand({ logGroupName: resource.name })), 'ResourceNotFoundException');
          break;
        case 'secret':
          await ignoreGone(() => context.clients.secrets.send(new DeleteSecretCommand({ SecretId: resource.id, ForceDeleteWithoutRecovery: true })), 'ResourceNotFoundException');
          break;
      }
    } catch (error) {
      keep(resource, error, deleteActionOf(resource));
    }
  }));
  return left;
}

/** Stops the tasks and waits for them; true when some are still not STOPPED (they are then in `left`). */
async function stopTasks(
  tracked: readonly Task[],
  context: TeardownContext,
  deadline: number,
  keep: (resource: CreatedResource, error: unknown, action: string) => void,
): Promise<boolean> {
  const byCluster = new Map<string, Map<string, Task>>();
  const add = (task: Task): void => {
    const tasks = byCluster.get(task.cluster) ?? new Map<string, Task>();
    tasks.set(task.arn, task);
    byCluster.set(task.cluster, tasks);
  };
  tracked.forEach(add);
  if (context.clusterArn !== undefined) {
    // A RunTask whose answer was lost (timeout, crash between call and record) still started tasks.
    try {
      for (const arn of await listOwnTasks(context, context.clusterArn)) {
        if (!byCluster.get(context.clusterArn)?.has(arn)) add({ kind: 'task', arn, cluster: context.clusterArn, role: 'worker' });
      }
    } catch (error) {
      context.logger.warn(`Could not list the tasks started by ${context.identity.name}: ${describeError(error)}`);
    }
  }

  let anyLeft = false;
  for (const [cluster, tasks] of byCluster) {
    const stopping: string[] = [];
    await Promise.all([...tasks.values()].map(async (task) => {
      try {
        await ignoreGone(() => context.clients.ecs.send(new StopTaskCommand({ cluster, task: task.arn, reason: `flowenv: Dask cluster ${context.identity.name} closed` })), 'InvalidParameterException', /not found|cannot be found/i);
        stopping.push(task.arn);
      } catch (error) {
        if (hasAwsErrorName(error, 'ClusterNotFoundException')) return; // the cluster, and with it the task, is gone
        anyLeft = true;
        keep(task, error, 'ecs:StopTask');
      }
    }));
    const remaining = Math.max(0, deadline - (context.now ?? Date.now)());
    const notStopped = await waitForTasksStopped(context.clients, cluster, stopping, {
      pollIntervalMs: context.pollIntervalMs,
      timeoutMs: remaining,
      callContext: context.callContext,
      ...(context.sleep === undefined ? {} : { sleep: context.sleep }),
      ...(context.now === undefined ? {} : { now: context.now }),
    }).catch((error: unknown) => {
      context.logger.warn(`Could not confirm that the tasks stopped: ${describeError(error)}`);
      return stopping;
    });
    for (const arn of notStopped) {
      anyLeft = true;
      keep(tasks.get(arn) as Task, new Error(`asked to stop, but not STOPPED within ${context.timeoutMs} ms`), 'ecs:StopTask');
    }
  }
  return anyLeft;
}

async function listOwnTasks(context: TeardownContext, cluster: string): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const response = await retryThrottled(() => context.clients.ecs.send(new ListTasksCommand({ cluster, startedBy: context.identity.name, desiredStatus: 'RUNNING', ...(nextToken === undefined ? {} : { nextToken }) })));
    arns.push(...(response.taskArns ?? []));
    nextToken = response.nextToken;
  } while (nextToken !== undefined);
  return arns;
}

/** Runs `call` (throttling retried); an error that means "already gone" counts as success. */
async function ignoreGone(call: () => Promise<unknown>, ...gone: (string | RegExp)[]): Promise<void> {
  const names = gone.filter((entry): entry is string => typeof entry === 'string');
  const pattern = gone.find((entry): entry is RegExp => entry instanceof RegExp);
  try {
    await retryThrottled(call);
  } catch (error) {
    if (hasAwsErrorName(error, ...names) && (pattern === undefined || pattern.test(awsErrorMessage(error)))) return;
    throw error;
  }
}

/** Retries `call` while AWS answers `busy` (a dependency not yet released), until the deadline. */
async function untilFree(call: () => Promise<void>, busy: string, deadline: number, context: TeardownContext): Promise<void> {
  const wait = context.sleep ?? realSleep;
  const now = context.now ?? Date.now;
  for (let delay = 1_000; ; delay = Math.min(delay * 2, Math.max(context.pollIntervalMs, 1_000) * 4)) {
    try {
      return await call();
    } catch (error) {
      if (!hasAwsErrorName(error, busy) || now() + delay > deadline) throw error;
      await wait(delay);
    }
  }
}

function deleteActionOf(resource: CreatedResource): string {
  switch (resource.kind) {
    case 'task':
      return 'ecs:StopTask';
    case 'task-definition':
      return 'ecs:DeregisterTaskDefinition';
    case 'security-group':
      return 'ec2:DeleteSecurityGroup';
    case 'ecs-cluster':
      return 'ecs:DeleteCluster';
    case 'iam-role':
      return 'iam:DeleteRole';
    case 'log-group':
      return 'logs:DeleteLogGroup';
    case 'secret':
      return 'secretsmanager:DeleteSecret';
  }
}
