import { readFile } from 'node:fs/promises';
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, DescribeNetworkInterfacesCommand } from '@aws-sdk/client-ec2';
import { CreateClusterCommand } from '@aws-sdk/client-ecs';
import { AttachRolePolicyCommand, CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { FlowenvError, registerSecretValue } from '@flowenv/core';
import type { DaskSecurity } from '@flowenv/dask';
import { partitionOf, resolveRegion } from './aws-clients.js';
import { buildCreateClusterRequest } from './build-cluster-request.js';
import { buildSchedulerRunTaskRequest } from './build-dask-run-task-requests.js';
import { buildSchedulerTaskDefinition, buildWorkerTaskDefinition, DASHBOARD_PORT, SCHEDULER_CONTAINER, SCHEDULER_PORT } from './build-dask-task-definitions.js';
import {
  buildAttachTaskRolePolicyRequests,
  buildExecutionRolePolicy,
  buildExecutionRoleRequest,
  buildTaskRoleRequest,
  EXECUTION_POLICY_NAME,
} from './build-iam-role-requests.js';
import { buildCreateLogGroupRequest } from './build-log-group-request.js';
import { buildCreateSecurityGroupRequest, buildIngressRequest } from './build-security-group-requests.js';
import { buildCreateTlsSecretRequest } from './build-tls-secret-request.js';
import type { CreatedResource } from './created-resource.js';
import type { DaskClusterInfo } from './dask-cluster-provider.js';
import type { TlsMaterial } from './dask-tls-environment.js';
import type { EcsClusterState } from './ecs-cluster-state.js';
import { ensureTaskDefinition } from './ensure-task-definition.js';
import { mapAwsError } from './map-aws-error.js';
import { readLogTail } from './read-log-tail.js';
import { resolveNetwork } from './resolve-network.js';
import { retryThrottled } from './retry-throttled.js';
import { runTasks } from './run-tasks.js';
import { startWorkers } from './scale-workers.js';
import { networkInterfaceIdOf, privateIpOf, taskIdOf } from './task-facts.js';
import { generateTemporaryCertificates, writeCertificateFiles } from './temporary-certificates.js';
import { waitForTasksRunning } from './wait-for-tasks.js';

/**
 * Creates the cluster step by step, recording each resource in `state.resources` the moment it
 * exists (the caller tears them down if any step fails):
 *
 * 1. TLS material: the `security` files' contents, else temporary certificates.
 * 2. Network: subnets (and the VPC, when a security group is to be created).
 * 3. In parallel: the TLS secret, and whatever was not given: ECS cluster, log group, execution
 *    role (+ its policy, which names the secret), task role (+ its policies), security group (+ its
 *    self-referencing ingress rule).
 * 4. Scheduler and worker task definitions, whose `secrets` read the TLS material from the secret.
 * 5. The scheduler task; its address comes from its network interface.
 * 6. `nWorkers` worker tasks, each running before create returns.
 */
export async function provisionEcsCluster(state: EcsClusterState): Promise<DaskClusterInfo> {
  const { settings, clients, identity } = state;
  const send = <T>(action: string, call: () => Promise<T>): Promise<T> =>
    retryThrottled(call).catch((error: unknown) => {
      throw mapAwsError(error, { action, ...state.callContext });
    });
  const record = (resource: CreatedResource): void => void state.resources.push(resource);

  // 1. TLS
  let security: DaskSecurity;
  if (settings.security !== undefined) {
    state.tls = await readTlsFiles(settings.security);
    security = settings.security;
  } else {
    state.tls = generateTemporaryCertificates({ validityDays: settings.certificateValidityDays, commonName: identity.name });
    state.certificateFiles = await writeCertificateFiles(state.tls);
    security = { caFile: state.certificateFiles.caFile, certFile: state.certificateFiles.certFile, keyFile: state.certificateFiles.keyFile };
  }
  registerSecretValue(state.tls.privateKey);

  // 2. Network
  const region = await resolveRegion(clients, settings.regionName);
  state.region = region;
  state.callContext = { ...state.callContext, region };
  const network = await resolveNetwork(clients, settings, state.callContext);
  state.subnets = network.subnets;

  // 3. Infrastructure, in parallel; every branch records what it made before the first failure is thrown.
  const secretRequest = buildCreateTlsSecretRequest(identity, settings, state.tls);
  const createSecret = async (): Promise<string> => {
    let response;
    try {
      response = await retryThrottled(() => clients.secrets.send(new CreateSecretCommand(secretRequest)));
    } catch (error) {
      // Without an answer from AWS (network, timeout, 5xx) the secret may exist: delete it by name.
      if (!answeredWithClientError(error)) record({ kind: 'secret', id: secretRequest.Name });
      throw mapAwsError(error, { action: 'secretsmanager:CreateSecret', ...state.callContext });
    }
    const arn = response.ARN;
    record({ kind: 'secret', id: arn ?? secretRequest.Name });
    if (arn === undefined) throw new FlowenvError({ code: 'AWS_REQUEST_FAILED', message: 'secretsmanager:CreateSecret returned no secret ARN' });
    state.tlsSecretArn = arn;
    return arn;
  };
  const secretCreated = createSecret();

  const createCluster = async (): Promise<void> => {
    if (settings.clusterArn !== undefined) {
      state.clusterArn = settings.clusterArn;
      return;
    }
    const response = await send('ecs:CreateCluster', () => clients.ecs.send(new CreateClusterCommand(buildCreateClusterRequest(identity, settings))));
    const arn = response.cluster?.clusterArn;
    if (arn === undefined) throw new FlowenvError({ code: 'AWS_REQUEST_FAILED', message: 'ecs:CreateCluster returned no cluster ARN' });
    record({ kind: 'ecs-cluster', arn });
    state.clusterArn = arn;
  };

  const logGroupRequest = buildCreateLogGroupRequest(identity, settings);
  const logGroupName = settings.logGroupName ?? logGroupRequest.logGroupName;
  state.logGroupName = logGroupName;
  const createLogGroup = async (): Promise<void> => {
    if (settings.logGroupName !== undefined) return;
    await send('logs:CreateLogGroup', () => clients.logs.send(new CreateLogGroupCommand(logGroupRequest)));
    record({ kind: 'log-group', name: logGroupRequest.logGroupName });
  };

  let executionRoleArn = settings.executionRoleArn;
  const createExecutionRole = async (): Promise<void> => {
    if (executionRoleArn !== undefined) return;
    const request = buildExecutionRoleRequest(identity, settings);
    const response = await send('iam:CreateRole', () => clients.iam.send(new CreateRoleCommand(request)));
    const arn = response.Role?.Arn;
    if (arn === undefined) throw new FlowenvError({ code: 'AWS_REQUEST_FAILED', message: 'iam:CreateRole returned no role ARN' });
    const role: CreatedResource = { kind: 'iam-role', name: request.RoleName, inlinePolicies: [EXECUTION_POLICY_NAME], attachedPolicies: [] };
    record(role);
    executionRoleArn = arn;
    const accountId = arn.split(':')[4] ?? '';
    const tlsSecretArn = await secretCreated;
    await send('iam:PutRolePolicy', () => clients.iam.send(new PutRolePolicyCommand(buildExecutionRolePolicy({
      roleName: request.RoleName,
      partition: partitionOf(region),
      region,
      accountId,
      logGroupName,
      tlsSecretArn,
    }))));
  };

  let taskRoleArn = settings.taskRoleArn;
  const createTaskRole = async (): Promise<void> => {
    if (taskRoleArn !== undefined || settings.taskRolePolicyArns.length === 0) return;
    const request = buildTaskRoleRequest(identity, settings);
    const response = await send('iam:CreateRole', () => clients.iam.send(new CreateRoleCommand(request)));
    const arn = response.Role?.Arn;
    if (arn === undefined) throw new FlowenvError({ code: 'AWS_REQUEST_FAILED', message: 'iam:CreateRole returned no role ARN' });
    record({ kind: 'iam-role', name: request.RoleName, inlinePolicies: [], attachedPolicies: [...settings.taskRolePolicyArns] });
    taskRoleArn = arn;
    for (const attach of buildAttachTaskRolePolicyRequests(request.RoleName, settings)) {
      await send('iam:AttachRolePolicy', () => clients.iam.send(new AttachRolePolicyCommand(attach)));
    }
  };

  const createSecurityGroup = async (): Promise<void> => {
    if (settings.securityGroups !== undefined) {
      state.securityGroups = [...settings.securityGroups];
      return;
    }
    const vpcId = network.vpcId as string;
    const response = await send('ec2:CreateSecurityGroup', () => clients.ec2.send(new CreateSecurityGroupCommand(buildCreateSecurityGroupRequest(identity, settings, vpcId))));
    const groupId = response.GroupId;
    if (groupId === undefined) throw new FlowenvError({ code: 'AWS_REQUEST_FAILED', message: 'ec2:CreateSecurityGroup returned no group id' });
    record({ kind: 'security-group', id: groupId });
    state.securityGroups = [groupId];
    await send('ec2:AuthorizeSecurityGroupIngress', () => clients.ec2.send(new AuthorizeSecurityGroupIngressCommand(buildIngressRequest(groupId, settings))));
  };

  await settleAll<unknown>([secretCreated, createCluster(), createLogGroup(), createExecutionRole(), createTaskRole(), createSecurityGroup()]);

  // 4. Task definitions. They name this run's secret, so they are run-scoped: tagged with the run,
  // never reused by another run, always deregistered.
  const definitionInput = {
    identity,
    region,
    executionRoleArn: executionRoleArn as string,
    taskRoleArn,
    logGroupName,
    tlsSecretArn: state.tlsSecretArn as string,
    runScoped: true,
  };
  const [scheduler, worker] = await settleAll([buildSchedulerTaskDefinition(settings, definitionInput), buildWorkerTaskDefinition(settings, definitionInput)].map(async (wanted) => {
    const ensured = await ensureTaskDefinition(clients, wanted, { reuse: false, callContext: state.callContext, logger: state.logger });
    if (ensured.registered) record({ kind: 'task-definition', arn: ensured.taskDefinitionArn, runScoped: true });
    return ensured.taskDefinitionArn;
  }));
  state.taskDefinitions = { scheduler: scheduler as string, worker: worker as string };

  // 5. Scheduler
  const clusterArn = state.clusterArn as string;
  const started = await runTasks(clients, [buildSchedulerRunTaskRequest(settings, {
    identity,
    clusterArn,
    taskDefinitionArn: state.taskDefinitions.scheduler,
    subnets: state.subnets,
    securityGroups: state.securityGroups as string[],
  })], {
    callContext: state.callContext,
    ...state.clock,
    onStarted: (tasks) => {
      for (const task of tasks) {
        if (task.taskArn === undefined) continue;
        record({ kind: 'task', arn: task.taskArn, cluster: clusterArn, role: 'scheduler' });
        state.schedulerTaskArn = task.taskArn;
      }
    },
  });
  let schedulerTask;
  try {
    [schedulerTask] = await waitForTasksRunning(clients, clusterArn, started, {
      role: 'scheduler',
      needsAddress: true,
      pollIntervalMs: settings.pollIntervalMs,
      timeoutMs: settings.schedulerTimeoutMs,
      callContext: state.callContext,
      ...state.clock,
    });
  } catch (error) {
    throw await withSchedulerLogs(state, error);
  }
  const host = settings.assignPublicIp ? await publicIpOf(state, networkInterfaceIdOf(schedulerTask ?? {})) : privateIpOf(schedulerTask ?? {});
  if (host === undefined) {
    throw new FlowenvError({ code: 'DASK_CLUSTER_FAILED', message: `Unable to determine the Dask scheduler address of task ${state.schedulerTaskArn}: its network interface has no IP address` });
  }
  state.schedulerAddress = `tls://${host}:${SCHEDULER_PORT}`;
  state.logger.info(`Dask scheduler of ${identity.name} is running at ${state.schedulerAddress}`);

  // 6. Workers
  await startWorkers(state, settings.nWorkers);
  return { schedulerAddress: state.schedulerAddress, security, dashboardUrl: `http://${host}:${DASHBOARD_PORT}` };
}

/** True when AWS answered with a client error (4xx, throttling included): the call created nothing. */
function answeredWithClientError(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' && status < 500;
}

/** Waits for every promise (so each branch has recorded what it created), then throws the first failure. */
async function settleAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

async function readTlsFiles(security: DaskSecurity): Promise<TlsMaterial> {
  const read = (field: keyof DaskSecurity, path: string): Promise<string> =>
    readFile(path, 'utf8').catch((error: unknown) => {
      throw new FlowenvError({ code: 'OPTIONS_INVALID', message: `DaskCloudProviderEnvironment: cannot read \`security.${field}\` (${path}): ${error instanceof Error ? error.message : String(error)}`, cause: error });
    });
  const [ca, certificate, privateKey] = await Promise.all([read('caFile', security.caFile), read('certFile', security.certFile), read('keyFile', security.keyFile)]);
  return { ca, certificate, privateKey };
}

async function publicIpOf(state: EcsClusterState, networkInterfaceId: string | undefined): Promise<string | undefined> {
  if (networkInterfaceId === undefined) return undefined;
  const response = await retryThrottled(() => state.clients.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [networkInterfaceId] }))).catch((error: unknown) => {
    throw mapAwsError(error, { action: 'ec2:DescribeNetworkInterfaces', ...state.callContext });
  });
  const ip = response.NetworkInterfaces?.[0]?.Association?.PublicIp;
  if (ip === undefined) {
    throw new FlowenvError({
      code: 'DASK_CLUSTER_FAILED',
      message: `assignPublicIp is set, but the scheduler's network interface ${networkInterfaceId} has no public IP: use subnets with an internet gateway, or leave assignPublicIp off and run the flow inside the VPC`,
    });
  }
  return ip;
}

/** A scheduler that stopped explains itself in its log: add its last lines to the error. */
async function withSchedulerLogs(state: EcsClusterState, error: unknown): Promise<unknown> {
  if (!FlowenvError.isInstance(error) || error.code !== 'DASK_CLUSTER_FAILED' || state.schedulerTaskArn === undefined || state.logGroupName === undefined) return error;
  const stream = `scheduler/${SCHEDULER_CONTAINER}/${taskIdOf(state.schedulerTaskArn)}`;
  const lines = await readLogTail(state.clients, state.logGroupName, stream);
  if (lines.length === 0) return error;
  return new FlowenvError({ code: error.code, message: `${error.message}\nLast scheduler log lines (${state.logGroupName} ${stream}):\n${lines.join('\n')}`, cause: error });
}
