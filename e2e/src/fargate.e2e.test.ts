// FargateTaskEnvironment against moto (tools/testenv/up moto): task definitions registered and
// reused by content, tasks started, followed and stopped, SDK calls counted with middleware, and
// clear errors for bad credentials, permissions and regions.
import { randomUUID } from 'node:crypto';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateClusterCommand, DeleteClusterCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { FlowenvError } from '@flowenv/core';
import { clearTaskDefinitionCache, FargateTaskEnvironment, normalizeTaskDefinition, type FargateTaskEnvironmentOptions } from '@flowenv/env-fargate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsErrorEndpoint, CallCounter, dockerRunSpecOfTask, imageStorage, motoNetwork } from './fixtures/moto-aws.js';
import { requireServiceEnv } from './testenv.js';

const aws = requireServiceEnv('moto', ['FLOWENV_AWS_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']);
const credentials = { accessKeyId: aws.AWS_ACCESS_KEY_ID, secretAccessKey: aws.AWS_SECRET_ACCESS_KEY };
const sdkOptions = { endpoint: aws.FLOWENV_AWS_ENDPOINT, region: aws.AWS_REGION, credentials };
const ecs = new ECSClient(sdkOptions);
const logs = new CloudWatchLogsClient(sdkOptions);
// moto keeps state for as long as it runs: every name here is new.
const suffix = randomUUID().slice(0, 8);
const cluster = `flowenv-e2e-${suffix}`;
const logGroup = `/flowenv/e2e/${suffix}`;
let network: { subnet: string; securityGroup: string };

async function rejectionOf(promise: Promise<unknown>): Promise<FlowenvError> {
  try {
    await promise;
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/** A Fargate environment on moto for `family`, counting its SDK calls. */
function fargate(family: string, counter = new CallCounter(), options: FargateTaskEnvironmentOptions = {}) {
  const environment = new FargateTaskEnvironment({
    endpoint: aws.FLOWENV_AWS_ENDPOINT,
    regionName: aws.AWS_REGION,
    awsAccessKeyId: aws.AWS_ACCESS_KEY_ID,
    awsSecretAccessKey: aws.AWS_SECRET_ACCESS_KEY,
    family,
    cluster,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: 256,
    memory: 512,
    containerDefinitions: [
      {
        // moto's RunTask needs a container memory even on Fargate.
        memory: 512,
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': logGroup, 'awslogs-region': aws.AWS_REGION, 'awslogs-stream-prefix': 'flow' },
        },
      },
    ],
    networkConfiguration: { awsvpcConfiguration: { subnets: [network.subnet], securityGroups: [network.securityGroup], assignPublicIp: 'DISABLED' } },
    pollIntervalMs: 200,
    createClients: counter.createClients,
    ...options,
  });
  return { environment, counter };
}

const newFamily = (): string => `flowenv-e2e-${randomUUID().slice(0, 8)}`;

async function latestRevision(family: string) {
  const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
  return taskDefinition;
}

describe('FargateTaskEnvironment on moto', () => {
  beforeAll(async () => {
    network = await motoNetwork(aws.FLOWENV_AWS_ENDPOINT, aws.AWS_REGION);
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  });
  afterAll(async () => {
    await ecs.send(new DeleteClusterCommand({ cluster })).catch(() => {});
  });

  it('registers one revision, then none for the same content, then exactly one more for a changed image', async () => {
    const family = newFamily();
    const { environment, counter } = fargate(family);

    await environment.setup(imageStorage('registry.example/flow:1'));
    expect(counter.count('RegisterTaskDefinition')).toBe(1);
    expect((await latestRevision(family))?.revision).toBe(1);

    counter.reset();
    await environment.setup(imageStorage('registry.example/flow:1'));
    expect(counter.count('RegisterTaskDefinition')).toBe(0);
    expect(counter.count('DescribeTaskDefinition')).toBe(0); // known in this process

    // A new process: it describes what moto has, finds it equal after normalisation, registers nothing.
    clearTaskDefinitionCache();
    counter.reset();
    await fargate(family, counter).environment.setup(imageStorage('registry.example/flow:1'));
    expect(counter.count('DescribeTaskDefinition')).toBe(1);
    expect(counter.count('RegisterTaskDefinition')).toBe(0);

    counter.reset();
    await environment.setup(imageStorage('registry.example/flow:2'));
    expect(counter.count('RegisterTaskDefinition')).toBe(1);
    const latest = await latestRevision(family);
    expect(latest?.revision).toBe(2);
    expect(latest?.containerDefinitions?.[0]).toMatchObject({ name: 'flow-container', image: 'registry.example/flow:2', command: ['flowenv', 'execute'] });
    // What render shows is what moto holds.
    const [rendered] = await environment.render(imageStorage('registry.example/flow:2'), '/opt/prefect/flows/f.mjs');
    expect(normalizeTaskDefinition(latest ?? {})).toEqual(normalizeTaskDefinition(rendered?.document as object));
  });

  it('shares one registration between concurrent setups of one family', async () => {
    const family = newFamily();
    clearTaskDefinitionCache();
    const counter = new CallCounter();
    await Promise.all(Array.from({ length: 5 }, () => fargate(family, counter).environment.setup(imageStorage('registry.example/flow:1'))));
    expect(counter.count('RegisterTaskDefinition')).toBe(1);
    expect(counter.count('DescribeTaskDefinition')).toBe(1);
    expect((await latestRevision(family))?.revision).toBe(1);
  });

  it('warm path: 0 RegisterTaskDefinition, at most 1 DescribeTaskDefinition, 1 RunTask', async () => {
    const family = newFamily();
    const storage = imageStorage('registry.example/flow:1');
    const first = fargate(family);
    await first.environment.setup(storage);
    await (await first.environment.execute(storage, '/opt/prefect/flows/f.mjs')).cancel();

    clearTaskDefinitionCache(); // a new process, as each agent-started run is
    const { environment, counter } = fargate(family);
    await environment.setup(storage);
    const handle = await environment.execute(storage, '/opt/prefect/flows/f.mjs', { runContext: { flowRunId: randomUUID() } });
    expect(counter.count('RegisterTaskDefinition')).toBe(0);
    expect(counter.count('DescribeTaskDefinition')).toBeLessThanOrEqual(1);
    expect(counter.count('RunTask')).toBe(1);
    await handle.cancel();
  });

  it('starts a task that DescribeTasks shows with the run overrides; cancel stops it', async () => {
    const family = newFamily();
    const flowRunId = randomUUID();
    const storage = imageStorage('registry.example/flow:1');
    const { environment, counter } = fargate(family);
    await environment.setup(storage);
    const handle = await environment.execute(storage, '/opt/prefect/flows/f.mjs', { runContext: { flowRunId } });
    expect(counter.count('RunTask')).toBe(1);
    expect(handle.kind).toBe('ecs-task');
    expect(handle.details).toMatchObject({ cluster, taskDefinition: expect.stringMatching(new RegExp(`task-definition/${family}:1$`)) });

    const { tasks = [] } = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [handle.id] }));
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.lastStatus).not.toBe('STOPPED');
    expect(tasks[0]?.taskDefinitionArn).toBe(handle.details['taskDefinition']);
    expect(tasks[0]?.overrides?.containerOverrides?.[0]?.environment).toEqual([
      { name: 'PREFECT__CLOUD__AUTH_TOKEN', value: '' },
      { name: 'PREFECT__CONTEXT__FLOW_RUN_ID', value: flowRunId },
      { name: 'PREFECT__CONTEXT__IMAGE', value: 'registry.example/flow:1' },
      { name: 'PREFECT__CONTEXT__FLOW_FILE_PATH', value: '/opt/prefect/flows/f.mjs' },
    ]);

    // What Docker would have to run to do the same (fargate-run-spec.e2e.test.ts runs it with a real image).
    const spec = await dockerRunSpecOfTask(ecs, cluster, handle.id);
    expect(spec).toMatchObject({ image: 'registry.example/flow:1', command: ['flowenv', 'execute'] });
    expect(spec.env).toMatchObject({
      PREFECT__CONTEXT__FLOW_RUN_ID: flowRunId,
      PREFECT__CONTEXT__FLOW_FILE_PATH: '/opt/prefect/flows/f.mjs',
      PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS: '@flowenv/core#FlowRunner',
    });

    await handle.cancel();
    const after = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [handle.id] }));
    expect(after.tasks?.[0]?.lastStatus).toBe('STOPPED');
    expect(await handle.wait()).toEqual({ state: 'Cancelled', reason: 'Cancelled by flowenv' });
  });

  it('reads the task log from CloudWatch Logs', async () => {
    const storage = imageStorage('registry.example/flow:1');
    const { environment } = fargate(newFamily());
    await environment.setup(storage);
    const handle = await environment.execute(storage, '/opt/prefect/flows/f.mjs');
    // moto runs no container: write what the awslogs driver would.
    const stream = `flow/flow-container/${handle.id.split('/').pop()}`;
    await logs.send(new CreateLogGroupCommand({ logGroupName: logGroup })).catch((error: { name?: string }) => {
      if (error.name !== 'ResourceAlreadyExistsException') throw error;
    });
    await logs.send(new CreateLogStreamCommand({ logGroupName: logGroup, logStreamName: stream }));
    await logs.send(new PutLogEventsCommand({
      logGroupName: logGroup,
      logStreamName: stream,
      logEvents: [{ timestamp: Date.now(), message: 'Flow run RUNNING' }, { timestamp: Date.now() + 1, message: 'Flow run SUCCESS' }],
    }));
    const lines: string[] = [];
    for await (const line of handle.logs()) lines.push(line);
    expect(lines).toEqual(['Flow run RUNNING', 'Flow run SUCCESS']);
    await handle.cancel();
  });

  it('reports a missing cluster clearly', async () => {
    const storage = imageStorage('registry.example/flow:1');
    const { environment } = fargate(newFamily(), new CallCounter(), { cluster: `no-such-cluster-${suffix}` });
    await environment.setup(storage);
    const error = await rejectionOf(environment.execute(storage, '/opt/prefect/flows/f.mjs'));
    expect(error.code).toBe('AWS_REQUEST_FAILED');
    expect(error.message).toMatch(/^ecs:RunTask failed \(ClusterNotFoundException/);
  });

  describe('bad credentials, permissions and regions', () => {
    it('refuses a key id without its secret before any call', async () => {
      // The secret would fall back to AWS_SECRET_ACCESS_KEY, read at construction.
      const saved = process.env['AWS_SECRET_ACCESS_KEY'];
      delete process.env['AWS_SECRET_ACCESS_KEY'];
      const counter = new CallCounter();
      let environment: FargateTaskEnvironment;
      try {
        environment = fargate(newFamily(), counter, { awsSecretAccessKey: null }).environment;
      } finally {
        if (saved !== undefined) process.env['AWS_SECRET_ACCESS_KEY'] = saved;
      }
      const error = await rejectionOf(environment.setup(imageStorage('registry.example/flow:1')));
      expect(error.code).toBe('AWS_CREDENTIALS_INVALID');
      expect(error.message).toContain('awsSecretAccessKey');
      expect(counter.counts.size).toBe(0);
    });

    it('maps credentials AWS rejects (UnrecognizedClientException, as AWS answers; moto accepts any) to AWS_CREDENTIALS_INVALID', async () => {
      const endpoint = await awsErrorEndpoint('UnrecognizedClientException', 'The security token included in the request is invalid.');
      try {
        const { environment } = fargate(newFamily(), new CallCounter(), { endpoint: endpoint.url, awsAccessKeyId: 'AKIAWRONG', awsSecretAccessKey: 'wrong' });
        const error = await rejectionOf(environment.setup(imageStorage('registry.example/flow:1')));
        expect(error.code).toBe('AWS_CREDENTIALS_INVALID');
        expect(error.message).toContain('AWS rejected the credentials');
        expect(error.message).toContain('AWS_ACCESS_KEY_ID');
        expect((error.cause as { name?: string }).name).toBe('UnrecognizedClientException');
        expect(endpoint.targets.every((target) => target.endsWith('.DescribeTaskDefinition'))).toBe(true);
      } finally {
        await endpoint.close();
      }
    });

    it('maps a missing permission to AWS_ACCESS_DENIED and does not register (0.11 took it for "missing")', async () => {
      const endpoint = await awsErrorEndpoint('AccessDeniedException', 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:DescribeTaskDefinition');
      try {
        const { environment } = fargate(newFamily(), new CallCounter(), { endpoint: endpoint.url });
        const error = await rejectionOf(environment.setup(imageStorage('registry.example/flow:1')));
        expect(error.code).toBe('AWS_ACCESS_DENIED');
        expect(error.message).toContain('ecs:DescribeTaskDefinition');
        expect(endpoint.targets.some((target) => target.endsWith('.RegisterTaskDefinition'))).toBe(false);
      } finally {
        await endpoint.close();
      }
    });

    it('says when the endpoint does not serve the region', async () => {
      const { environment } = fargate(newFamily(), new CallCounter(), { regionName: 'mars-north-1' });
      const error = await rejectionOf(environment.setup(imageStorage('registry.example/flow:1')));
      expect(error.code).toBe('AWS_ENDPOINT_UNREACHABLE');
      expect(error.message).toContain('"mars-north-1"');
      expect(error.message).toContain('regionName');
    });

    it('rejects a malformed region with AWS_REGION_INVALID', async () => {
      const { environment } = fargate(newFamily(), new CallCounter(), { regionName: 'not a region' });
      const error = await rejectionOf(environment.setup(imageStorage('registry.example/flow:1')));
      expect(error.code).toBe('AWS_REGION_INVALID');
      expect(error.message).toContain('"not a region" is not a valid AWS region');
    });

    it('says when the endpoint cannot be reached', async () => {
      const closed = await awsErrorEndpoint('x', 'x');
      await closed.close(); // a port nothing listens on any more
      const { environment } = fargate(newFamily(), new CallCounter(), { endpoint: closed.url });
      const error = await rejectionOf(environment.setup(imageStorage('registry.example/flow:1')));
      expect(error.code).toBe('AWS_ENDPOINT_UNREACHABLE');
      expect(error.message).toContain(`cannot reach ${closed.url}`);
    });
  });
});
