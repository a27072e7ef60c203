// DaskCloudProviderEnvironment's ECS/Fargate provider against moto (tools/testenv/up moto dask):
// the whole create → adapt → close life of a cluster, counting every resource tagged with the run
// before, during and after (after: none); the TLS private key only in the run's secret, never in a
// RunTask request, a task definition or a log line; failures injected after the secret and after
// the scheduler task were created; and onExecute sizing the worker tasks of a real execute. moto
// runs no containers, so no flow runs on these clusters (dask-cloudprovider-local.e2e.test.ts
// runs flows on a real Dask cluster).
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeTaskDefinitionCommand, DescribeTasksCommand } from '@aws-sdk/client-ecs';
import { CreatePolicyCommand, DeletePolicyCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { Flow, FlowenvError, LocalStorage, setLogSink, type Logger } from '@flowenv/core';
import { createAwsClients, DaskCloudProviderEnvironment, EcsDaskClusterProvider } from '@flowenv/env-dask-cloudprovider';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { censusOfRun, CountingClients, injectedError, interfaceIpsIn, nothing, pemBodyLines, PRIVATE_KEY_PEM, type MotoSettings } from './fixtures/cloudprovider-aws.js';
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

/** Every line flowenv's own loggers wrote (the environment's, the executor's), for the no-key checks. */
const sinkLines: string[] = [];
let restoreSink: () => void;
beforeAll(() => {
  restoreSink = setLogSink((record) => void sinkLines.push(record.message));
});
afterAll(() => restoreSink());
beforeEach(() => {
  logLines.length = 0;
  sinkLines.length = 0;
});

/** What the run sent to ECS and wrote to its logs holds no private key: no PEM armour, and none of `privateKey`'s lines. */
function expectNoPrivateKey(counter: CountingClients, privateKey?: string): void {
  const places = {
    'RunTask requests': JSON.stringify(counter.inputsOf('RunTask')),
    'RegisterTaskDefinition requests': JSON.stringify(counter.inputsOf('RegisterTaskDefinition')),
    'log lines': [...logLines, ...sinkLines].join('\n'),
  };
  for (const [place, text] of Object.entries(places)) {
    expect(text, place).not.toMatch(PRIVATE_KEY_PEM);
    for (const line of privateKey === undefined ? [] : pemBodyLines(privateKey)) expect(text.includes(line), `a line of the private key in ${place}`).toBe(false);
  }
}

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

    expect(await censusOfRun(moto, runId, families)).toEqual({ clusters: 1, tasks: 3, taskDefinitions: 2, securityGroups: 1, roles: 2, logGroups: 1, secrets: 1 });
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
    const { taskDefinition: workerDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: families[1] }));
    expect(taskDefinition?.containerDefinitions?.[0]).toMatchObject({ name: 'dask-scheduler', image: 'registry.example/flow:1', command: expect.arrayContaining(['--protocol', 'tls']) });
    expect(existsSync(cluster.security?.caFile ?? '')).toBe(true);

    // The TLS material is in the run's secret; the definitions reference its JSON keys; the
    // execution role may read exactly that secret.
    const secret = provider.resources.find((resource) => resource.kind === 'secret');
    if (secret?.kind !== 'secret') throw new Error('no secret created');
    const privateKey = readFileSync(cluster.security?.keyFile ?? '', 'utf8');
    const { secrets, iam } = createAwsClients(moto);
    const { SecretString, ARN } = await secrets.send(new GetSecretValueCommand({ SecretId: secret.id }));
    expect(ARN).toBe(secret.id);
    expect(JSON.parse(SecretString ?? '{}')).toEqual({ ca: readFileSync(cluster.security?.caFile ?? '', 'utf8'), certificate: readFileSync(cluster.security?.certFile ?? '', 'utf8'), privateKey });
    expect(taskDefinition?.containerDefinitions?.[0]?.secrets).toContainEqual({ name: 'DASK_DISTRIBUTED__COMM__TLS__SCHEDULER__KEY', valueFrom: `${secret.id}:privateKey::` });
    expect(workerDefinition?.containerDefinitions?.[0]?.secrets).toContainEqual({ name: 'DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY', valueFrom: `${secret.id}:privateKey::` });
    const executionRole = provider.resources.find((resource) => resource.kind === 'iam-role' && resource.name.endsWith('-execution'));
    if (executionRole?.kind !== 'iam-role') throw new Error('no execution role created');
    const { PolicyDocument } = await iam.send(new GetRolePolicyCommand({ RoleName: executionRole.name, PolicyName: 'flowenv-dask-execution' }));
    const policy = JSON.parse(decodeURIComponent(PolicyDocument ?? '{}')) as { Statement: { Action: unknown; Resource: unknown }[] };
    expect(policy.Statement).toContainEqual(expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: secret.id }));

    await provider.adapt(4, 6);
    expect(provider.workerTaskArns).toHaveLength(4);
    expect((await censusOfRun(moto, runId, families)).tasks).toBe(5);
    await provider.adapt(0, 1);
    expect(provider.workerTaskArns).toHaveLength(1);
    expect((await censusOfRun(moto, runId, families)).tasks).toBe(2);
    expect(counter.workersRequested()).toBe(4);

    const schedulerTaskArn = provider.schedulerTaskArn as string;
    await provider.close();
    expect(await censusOfRun(moto, runId, families)).toEqual(nothing);
    expect(existsSync(cluster.security?.caFile ?? '')).toBe(false);
    expect(provider.resources).toEqual([]);
    // Gone at once, not scheduled for deletion in 7 to 30 days.
    expect(counter.inputsOf('DeleteSecret')).toEqual([{ SecretId: secret.id, ForceDeleteWithoutRecovery: true }]);
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: secret.id }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });

    // Nobody allowed ecs:DescribeTasks or ecs:DescribeTaskDefinition could have read the key.
    expectNoPrivateKey(counter, privateKey);
    const { tasks = [] } = await ecs.send(new DescribeTasksCommand({ cluster: counter.inputsOf('RunTask')[0]?.['cluster'] as string, tasks: [schedulerTaskArn] }));
    expect(tasks).toHaveLength(1);
    const described = JSON.stringify([tasks, taskDefinition, workerDefinition]);
    expect(described).toContain('DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION'); // moto shows the overrides, as ECS does
    expect(described).not.toMatch(PRIVATE_KEY_PEM);
    for (const line of pemBodyLines(privateKey)) expect(described.includes(line)).toBe(false);
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
    // The scheduler had started; it was stopped, and everything else removed, the secret too.
    expect(counter.count('RunTask')).toBe(2);
    expect(counter.inputsOf('StopTask').map((input) => input['task'])).toContain(provider.schedulerTaskArn);
    expect(counter.count('DeleteSecret')).toBe(1);
    expect(await censusOfRun(moto, runId, families)).toEqual(nothing);
    expectNoPrivateKey(counter);
    await provider.close();
  });

  it('a failure injected between creating the secret and the role policy that names it still removes the secret', async () => {
    const runId = randomUUID();
    const counter = new CountingClients();
    counter.inject = (command) => (command === 'PutRolePolicy' ? injectedError('MalformedPolicyDocumentException', 'injected: policy refused') : undefined);
    const provider = new EcsDaskClusterProvider('FargateCluster');
    const error = await rejection(provider.create(motoOptions(counter, { nWorkers: 1 }), { runId, logger }));
    expect(error.message).toContain('injected: policy refused');
    expect(counter.count('CreateSecret')).toBe(1);
    expect(counter.count('RunTask')).toBe(0);
    expect(counter.inputsOf('DeleteSecret')).toEqual([expect.objectContaining({ ForceDeleteWithoutRecovery: true })]);
    expect(await censusOfRun(moto, runId, families)).toEqual(nothing);
    await provider.close();
  });

  it('with your own roles, log group and network: each run registers definitions that name its secret, and removes both', async () => {
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
    // Each run's definitions name its own secret: nothing to reuse, everything deregistered.
    expect(counter.count('RegisterTaskDefinition')).toBe(4);
    expect(counter.count('DescribeTaskDefinition')).toBe(0);
    expect(counter.count('DeregisterTaskDefinition')).toBe(4);
    expect(counter.count('CreateSecret')).toBe(2);
    expect(counter.count('DeleteSecret')).toBe(2);
    expectNoPrivateKey(counter);
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
      expect(counter.count('CreateSecret')).toBe(1);
      expectNoPrivateKey(counter);
    }
    // The executor's Python bridge did start (and fail to connect), and is gone.
    watcher.stop();
    expect([...watcher.seen.values()].filter((command) => command.includes('flowenv_dask_bridge.py')).length).toBeGreaterThanOrEqual(1);
    expect(await waitUntilGone([...watcher.seen.keys()], 10_000)).toEqual([]);
  });
});
