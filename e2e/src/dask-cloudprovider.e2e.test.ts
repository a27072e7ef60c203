// DaskCloudProviderEnvironment's ECS/Fargate provider against moto (tools/testenv/up moto dask):
// the whole create → adapt → close life of a cluster, counting every resource tagged with the run
// before, during and after (after: none); a failure injected after the scheduler task started; and
// onExecute sizing the worker tasks of a real execute. moto runs no containers, so no flow runs on
// these clusters (dask-cloudprovider-local.e2e.test.ts runs flows on a real Dask cluster).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreatePolicyCommand, DeletePolicyCommand } from '@aws-sdk/client-iam';
import { Flow, FlowenvError, LocalStorage, setLogSink, type Logger } from '@flowenv/core';
import { createAwsClients, DaskCloudProviderEnvironment, EcsDaskClusterProvider } from '@flowenv/env-dask-cloudprovider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { censusOfRun, CountingClients, injectedError, interfaceIpsIn, nothing, type MotoSettings } from './fixtures/cloudprovider-aws.js';
import { DescendantWatcher } from './fixtures/cloudprovider-processes.js';
import { waitUntilGone } from './fixtures/dask-processes.js';
import { requireServiceEnv } from './testenv.js';

const aws = requireServiceEnv('moto', ['FLOWENV_AWS_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']);
const dask = requireServiceEnv('dask', ['FLOWENV_DASK_PYTHON']);
const moto: MotoSettings = {
  endpoint: aws.FLOWENV_AWS_ENDPOINT,
  region: aws.AWS_REGION,
  credentials: { accessKeyId: aws.AWS_ACCESS_KEY_ID, secretAccessKey: aws.AWS_SECRET_ACCESS_KEY },
};
// moto keeps state for as long as it runs: this suite's families are its own.
const familyPrefix = `flowenv-e2e-${randomUUID().slice(0, 8)}`;
const families = [`${familyPrefix}-scheduler`, `${familyPrefix}-worker`];
const partitionsFlowPath = fileURLToPath(new URL('./fixtures/cloudprovider-flow.ts', import.meta.url));

const logLines: string[] = [];
const logger: Logger = {
  name: 'e2e',
  debug: () => {},
  info: (message) => void logLines.push(message),
  warn: (message) => void logLines.push(`WARN ${message}`),
  error: (message) => void logLines.push(`ERROR ${message}`),
  critical: (message) => void logLines.push(`CRITICAL ${message}`),
};

/** Provider options on moto: its endpoint and test credentials, this suite's families, fast polling. */
function motoOptions(counter: CountingClients, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    image: 'registry.example/flow:1',
    endpoint: moto.endpoint,
    regionName: moto.region,
    awsAccessKeyId: moto.credentials.accessKeyId,
    awsSecretAccessKey: moto.credentials.secretAccessKey,
    familyPrefix,
    pollIntervalMs: 100,
    createClients: counter.createClients,
    ...extra,
  };
}

async function rejection(promise: Promise<unknown>): Promise<FlowenvError> {
  try {
    await promise;
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

let restoreSink: () => void;
beforeAll(() => {
  restoreSink = setLogSink(() => {});
});
afterAll(() => restoreSink());

describe('EcsDaskClusterProvider ("FargateCluster") on moto', () => {
  let taskPolicyArn: string;
  beforeAll(async () => {
    // A customer-managed policy for the task role (moto loads no AWS-managed policies).
    const { iam } = createAwsClients(moto);
    const { Policy } = await iam.send(new CreatePolicyCommand({
      PolicyName: `${familyPrefix}-read`,
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }),
    }));
    taskPolicyArn = Policy?.Arn as string;
  });
  afterAll(async () => {
    await createAwsClients(moto).iam.send(new DeletePolicyCommand({ PolicyArn: taskPolicyArn })).catch(() => {});
  });

  it('creates, adapts and closes a cluster: every resource tagged with the run exists while it runs and none is left after', async () => {
    const runId = randomUUID();
    const counter = new CountingClients();
    expect(await censusOfRun(moto, runId, families)).toEqual(nothing);

    const provider = new EcsDaskClusterProvider('FargateCluster');
    const cluster = await provider.create(motoOptions(counter, { nWorkers: 2, taskRolePolicyArns: [taskPolicyArn] }), { runId, logger });

    expect(await censusOfRun(moto, runId, families)).toEqual({ clusters: 1, tasks: 3, taskDefinitions: 2, securityGroups: 1, roles: 2, logGroups: 1 });
    // The address is the scheduler task's network interface (private IP), TLS.
    const securityGroup = provider.resources.find((resource) => resource.kind === 'security-group');
    if (securityGroup?.kind !== 'security-group') throw new Error('no security group created');
    const schedulerIp = /^tls:\/\/(\d+\.\d+\.\d+\.\d+):8786$/.exec(cluster.schedulerAddress)?.[1];
    expect(await interfaceIpsIn(moto, securityGroup.id)).toContain(schedulerIp);
    expect(counter.inputsOf('RunTask').every((input) => (input['networkConfiguration'] as { awsvpcConfiguration: { assignPublicIp: string } }).awsvpcConfiguration.assignPublicIp === 'DISABLED')).toBe(true);
    // The created group admits the Dask ports from itself only.
    const { ec2, ecs } = createAwsClients(moto);
    const { SecurityGroups = [] } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [securityGroup.id] }));
    expect(SecurityGroups[0]?.IpPermissions).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 8786, ToPort: 8787, IpRanges: [], UserIdGroupPairs: [expect.objectContaining({ GroupId: securityGroup.id })] }),
    ]);
    // What moto registered is what the builders made.
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: families[0] }));
    expect(taskDefinition?.containerDefinitions?.[0]).toMatchObject({ name: 'dask-scheduler', image: 'registry.example/flow:1', command: expect.arrayContaining(['--protocol', 'tls']) });
    expect(existsSync(cluster.security?.caFile ?? '')).toBe(true);

    await provider.adapt(4, 6);
    expect(provider.workerTaskArns).toHaveLength(4);
    expect((await censusOfRun(moto, runId, families)).tasks).toBe(5);
    await provider.adapt(0, 1);
    expect(provider.workerTaskArns).toHaveLength(1);
    expect((await censusOfRun(moto, runId, families)).tasks).toBe(2);
    expect(counter.workersRequested()).toBe(4);

    await provider.close();
    expect(await censusOfRun(moto, runId, families)).toEqual(nothing);
    expect(existsSync(cluster.security?.caFile ?? '')).toBe(false);
    expect(provider.resources).toEqual([]);
  });

  it('a failure injected after the scheduler task started still leaves nothing tagged with the run', async () => {
    const runId = randomUUID();
    const counter = new CountingClients();
    counter.inject = (command, input) =>
      command === 'RunTask' && (input['overrides'] as { containerOverrides: { name: string }[] }).containerOverrides[0]?.name === 'dask-worker'
        ? injectedError('InvalidParameterException', 'injected: the subnet has no free IP addresses')
        : undefined;
    const provider = new EcsDaskClusterProvider('FargateCluster');
    const error = await rejection(provider.create(motoOptions(counter, { nWorkers: 3, taskRolePolicyArns: [taskPolicyArn] }), { runId, logger }));
    expect(error.message).toContain('injected: the subnet has no free IP addresses');
    // The scheduler had started; it was stopped, and everything else removed.
    expect(counter.count('RunTask')).toBe(2);
    expect(counter.inputsOf('StopTask').map((input) => input['task'])).toContain(provider.schedulerTaskArn);
    expect(await censusOfRun(moto, runId, families)).toEqual(nothing);
    await provider.close();
  });

  it('reuses the task definitions by content across runs with your own roles, log group and network', async () => {
    const counter = new CountingClients();
    const { ec2 } = createAwsClients(moto);
    const { SecurityGroups = [] } = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }));
    const shared = {
      executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
      logGroupName: '/flowenv/e2e/shared',
      securityGroups: [SecurityGroups[0]?.GroupId as string],
      nWorkers: 1,
    };
    for (const runId of [randomUUID(), randomUUID()]) {
      const provider = new EcsDaskClusterProvider('FargateCluster');
      await provider.create(motoOptions(counter, shared), { runId, logger });
      await provider.close();
      expect(await censusOfRun(moto, runId, families)).toEqual(nothing);
    }
    // Two runs, one registration per family.
    expect(counter.count('RegisterTaskDefinition')).toBe(2);
    expect(counter.count('DescribeTaskDefinition')).toBe(4);
  });
});

describe('DaskCloudProviderEnvironment.execute with "FargateCluster" on moto', () => {
  it('sizes the worker tasks from the run\'s parameters through onExecute, and tears down although the flow cannot reach moto\'s scheduler', async () => {
    const storage = new LocalStorage();
    const location = await storage.addFlow(new Flow({ name: 'cloudprovider-partitions' }), partitionsFlowPath);
    const watcher = new DescendantWatcher();
    watcher.start();
    for (const partitions of [3, 1]) {
      const runId = randomUUID();
      const counter = new CountingClients();
      const calls: string[] = [];
      const environment = new DaskCloudProviderEnvironment({
        provider: 'FargateCluster',
        ...motoOptions(counter, { nWorkers: 1 }),
        executorOptions: { python: dask.FLOWENV_DASK_PYTHON, connectTimeoutMs: 1_000 },
        onExecute: (parameters, providerOptions) => {
          calls.push('onExecute');
          providerOptions['nWorkers'] = parameters['partitions'];
        },
        onStart: () => void calls.push('onStart'),
        onExit: () => void calls.push('onExit'),
      });
      // moto runs no containers: the DaskExecutor cannot connect, so the run fails after the cluster existed.
      const error = await rejection(environment.execute(storage, location, { parameters: { partitions }, runContext: { flowRunId: runId } }));
      expect(error.code).toBe('EXECUTOR_FAILED');
      expect(counter.workersRequested()).toBe(partitions);
      expect(calls).toEqual(['onExecute', 'onStart', 'onExit']);
      expect(await censusOfRun(moto, runId, families)).toEqual(nothing);
    }
    // The executor's Python bridge did start (and fail to connect), and is gone.
    watcher.stop();
    expect([...watcher.seen.values()].filter((command) => command.includes('flowenv_dask_bridge.py')).length).toBeGreaterThanOrEqual(1);
    expect(await waitUntilGone([...watcher.seen.keys()], 10_000)).toEqual([]);
  });
});
