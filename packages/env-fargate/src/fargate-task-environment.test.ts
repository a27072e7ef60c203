import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';
import {
  EnvironmentRegistry,
  FlowenvError,
  flowenvVersion,
  LocalStorage,
  maskSecrets,
  setLogSink,
  type LogRecord,
  type RunHandle,
} from '@flowenv/core';
import { describeEnvironmentConformance } from '@flowenv/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsError, fakeClients, FakeEcs } from './__fixtures__/fake-aws.js';
import { ImageStorage } from './__fixtures__/image-storage.js';
import { recordedExecutorOptions } from './__fixtures__/recording-executor.js';
import type { AwsClientSettings } from './aws-clients.js';
import { clearTaskDefinitionCache } from './ensure-task-definition.js';
import { FargateTaskEnvironment } from './fargate-task-environment.js';
import type { FargateTaskEnvironmentOptions } from './fargate-options.js';

const markBodyFlowPath = fileURLToPath(new URL('./__fixtures__/mark-body-flow.ts', import.meta.url));
const secretFlowPath = fileURLToPath(new URL('./__fixtures__/secret-flow.ts', import.meta.url));
const recordingExecutorPath = fileURLToPath(new URL('./__fixtures__/recording-executor.ts', import.meta.url));
const credentialVariables = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'REGION_NAME'] as const;
const tokenArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect-token';
const executionRoleArn = 'arn:aws:iam::123456789012:role/flowenv-execution';

/** Runs `body` with the given variables set (undefined: removed), then restores them. */
async function withVariables<T>(variables: Record<string, string | undefined>, body: () => T | Promise<T>): Promise<T> {
  const previous = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(variables);
  try {
    return await body();
  } finally {
    apply(previous);
  }
}

const noCredentialVariables = Object.fromEntries(credentialVariables.map((name) => [name, undefined]));

function flowenvErrorOf(action: () => unknown): FlowenvError {
  try {
    action();
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a FlowenvError');
}

async function rejectionOf(promise: Promise<unknown>): Promise<FlowenvError> {
  try {
    await promise;
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

let familyCounter = 0;
/** An environment on fake clients, with a family no other test uses (the task definition cache is per process). */
function fakeEnvironment(options: FargateTaskEnvironmentOptions = {}, clients = fakeClients()) {
  const settings: AwsClientSettings[] = [];
  const environment = new FargateTaskEnvironment({
    family: `test-${++familyCounter}`,
    cluster: 'test',
    createClients: (given) => {
      settings.push(given);
      return clients;
    },
    ...options,
  });
  return { environment, clients, settings };
}

describe('FargateTaskEnvironment (spec 2.6, 8.8)', () => {
  let records: LogRecord[];
  let restoreSink: () => void;
  beforeEach(() => {
    records = [];
    restoreSink = setLogSink((record) => void records.push(record));
  });
  afterEach(() => restoreSink());

  describe('construction', () => {
    it('defaults: FARGATE, no ECS options, executorOptions {}, no labels or hooks, no credentials (8.8.1)', async () => {
      const environment = await withVariables(noCredentialVariables, () => new FargateTaskEnvironment());
      expect(environment.launchType).toBe('FARGATE');
      expect(environment.taskDefinitionOptions).toEqual({});
      expect(environment.runTaskOptions).toEqual({});
      expect(environment.executorOptions).toEqual({});
      expect(environment.labels).toEqual(new Set());
      expect(environment.onStart).toBeUndefined();
      expect(environment.onExit).toBeUndefined();
      expect(environment.awsAccessKeyId).toBeUndefined();
      expect(environment.awsSecretAccessKey).toBeUndefined();
      expect(environment.awsSessionToken).toBeUndefined();
      expect(environment.regionName).toBeUndefined();
      expect(environment.endpoint).toBeUndefined();
      expect(environment.pollIntervalMs).toBe(10_000);
      expect(environment.logger.name).toBe('flowenv.FargateTaskEnvironment');
      expect(environment.type).toBe('FargateTaskEnvironment');
    });

    it('keeps a copy of executorOptions (8.8.2)', () => {
      const executorOptions = { test: 'here' };
      const environment = new FargateTaskEnvironment({ executorOptions });
      executorOptions.test = 'changed';
      expect(environment.executorOptions).toEqual({ test: 'here' });
    });

    it('keeps labels as a set and the hook references (8.8.3, 8.8.4)', () => {
      const onStart = (): void => {};
      const onExit = (): void => {};
      const environment = new FargateTaskEnvironment({ labels: ['foo', 'bar', 'foo'], onStart, onExit });
      expect(environment.labels).toEqual(new Set(['foo', 'bar']));
      expect(environment.onStart).toBe(onStart);
      expect(environment.onExit).toBe(onExit);
    });

    it('needs the AWS SDK clients in the image (8.8.5: 0.11 listed boto3, botocore)', () => {
      expect(new FargateTaskEnvironment().dependencies).toEqual(['@aws-sdk/client-ecs', '@aws-sdk/client-cloudwatch-logs']);
    });

    it('keeps explicit credentials and region (8.8.6)', async () => {
      const environment = await withVariables(noCredentialVariables, () =>
        new FargateTaskEnvironment({ awsAccessKeyId: 'id', awsSecretAccessKey: 'secret', awsSessionToken: 'session', regionName: 'region' }));
      expect([environment.awsAccessKeyId, environment.awsSecretAccessKey, environment.awsSessionToken, environment.regionName]).toEqual([
        'id',
        'secret',
        'session',
        'region',
      ]);
    });

    it('reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and REGION_NAME at construction (8.8.7)', async () => {
      const environment = await withVariables(
        { AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session', REGION_NAME: 'region', AWS_REGION: 'not-this' },
        () => new FargateTaskEnvironment(),
      );
      expect([environment.awsAccessKeyId, environment.awsSecretAccessKey, environment.awsSessionToken, environment.regionName]).toEqual([
        'id',
        'secret',
        'session',
        'region',
      ]);
      // Read once: later changes do not matter.
      await withVariables({ AWS_ACCESS_KEY_ID: 'other' }, () => expect(environment.awsAccessKeyId).toBe('id'));
    });

    it('splits the ECS options into task-definition and run-task options (8.8.8–8.8.10)', () => {
      const environment = new FargateTaskEnvironment({
        family: 'flow',
        cpu: 256,
        memory: '512',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        containerDefinitions: [{ name: 'x', memory: 512 }],
        tags: [{ key: 'team', value: 'data' }],
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:x == y' }],
        cluster: 'flows',
        count: 2,
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
      });
      expect(environment.taskDefinitionOptions).toEqual({
        family: 'flow',
        cpu: '256',
        memory: '512',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        containerDefinitions: [{ name: 'x', memory: 512 }],
        tags: [{ key: 'team', value: 'data' }],
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:x == y' }],
      });
      expect(environment.runTaskOptions).toEqual({
        cluster: 'flows',
        count: 2,
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
        tags: [{ key: 'team', value: 'data' }],
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:x == y' }],
      });
      expect(Object.isFrozen(environment.taskDefinitionOptions.containerDefinitions?.[0])).toBe(true);
    });

    it('rejects an unknown key with OPTIONS_INVALID naming it (8.8.11: 0.11 dropped it silently)', () => {
      const error = flowenvErrorOf(() => new FargateTaskEnvironment({ test: 'not_real' } as unknown as FargateTaskEnvironmentOptions));
      expect(error.code).toBe('OPTIONS_INVALID');
      expect(error.message).toContain('FargateTaskEnvironment');
      expect(error.message).toContain('"test"');
      // Keys ECS accepts but 0.11 never routed are unknown too.
      expect(flowenvErrorOf(() => new FargateTaskEnvironment({ overrides: {} } as unknown as FargateTaskEnvironmentOptions)).message).toContain('"overrides"');
    });

    it('rejects values of the wrong type with the field path', () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ launchType: 'LAMBDA' }, '`launchType`'],
        [{ containerDefinitions: 'test' }, '`containerDefinitions`'],
        [{ containerDefinitions: [{ environment: [{ value: 'x' }] }] }, '`containerDefinitions.0.environment.0.name`'],
        [{ count: 11 }, '`count`'],
        [{ cpu: -1 }, '`cpu`'],
        [{ endpoint: 'not a url' }, '`endpoint`'],
        [{ authTokenSecretArn: 'my-secret', executionRoleArn }, '`authTokenSecretArn`'],
        [{ pollIntervalMs: 5 }, '`pollIntervalMs`'],
      ];
      for (const [options, path] of cases) {
        const error = flowenvErrorOf(() => new FargateTaskEnvironment(options as FargateTaskEnvironmentOptions));
        expect(error.code).toBe('OPTIONS_INVALID');
        expect(error.message).toContain(path);
      }
    });

    it('refuses launchType with capacityProviderStrategy, and authTokenSecretArn without executionRoleArn', () => {
      expect(flowenvErrorOf(() => new FargateTaskEnvironment({ launchType: 'FARGATE', capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT' }] })).message)
        .toContain('`capacityProviderStrategy`');
      expect(flowenvErrorOf(() => new FargateTaskEnvironment({ authTokenSecretArn: tokenArn })).message).toContain('`executionRoleArn`');
    });
  });

  describe('credentials', () => {
    it('are never serialized, inspected, JSON-stringified, rendered or logged in clear', async () => {
      const { environment } = fakeEnvironment({
        awsAccessKeyId: 'AKIAFLOWENVTESTKEY',
        awsSecretAccessKey: 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY',
        awsSessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN',
      });
      const visible = [
        JSON.stringify(environment.serialize()),
        JSON.stringify(environment),
        inspect(environment, { depth: 10 }),
        JSON.stringify(await environment.render(new ImageStorage(), '/opt/prefect/flows/f.mjs')),
      ].join('\n');
      for (const secret of ['AKIAFLOWENVTESTKEY', 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY', 'FwoGZXIvYXdzEXAMPLETOKEN']) {
        expect(visible).not.toContain(secret);
        expect(maskSecrets(`using ${secret}`)).toBe('using ********');
      }
    });

    it('go to the client factory with the region and endpoint, or are left to the SDK chain', async () => {
      const { environment, settings } = fakeEnvironment({
        awsAccessKeyId: 'id1',
        awsSecretAccessKey: 'secret1',
        awsSessionToken: 'session1',
        regionName: 'eu-west-3',
        endpoint: 'http://127.0.0.1:45001',
      });
      await environment.setup(new ImageStorage());
      expect(settings).toEqual([
        { region: 'eu-west-3', endpoint: 'http://127.0.0.1:45001', credentials: { accessKeyId: 'id1', secretAccessKey: 'secret1', sessionToken: 'session1' } },
      ]);
      const chain = await withVariables(noCredentialVariables, async () => {
        const { environment: bare, settings: bareSettings } = fakeEnvironment();
        await bare.setup(new ImageStorage());
        return bareSettings;
      });
      expect(chain).toEqual([{ region: undefined, endpoint: undefined, credentials: undefined }]);
    });

    it('refuses a key id without its secret, naming what is missing', async () => {
      const { environment } = await withVariables(noCredentialVariables, () => fakeEnvironment({ awsAccessKeyId: 'id-only' }));
      const error = await rejectionOf(environment.setup(new ImageStorage()));
      expect(error.code).toBe('AWS_CREDENTIALS_INVALID');
      expect(error.message).toContain('AWS_SECRET_ACCESS_KEY');
    });

    it('maps AWS rejecting them to AWS_CREDENTIALS_INVALID', async () => {
      const { environment, clients } = fakeEnvironment();
      clients.ecs.fail('DescribeTaskDefinition', awsError('UnrecognizedClientException', 'The security token included in the request is invalid.'));
      const error = await rejectionOf(environment.setup(new ImageStorage()));
      expect(error.code).toBe('AWS_CREDENTIALS_INVALID');
      expect(clients.ecs.count('RegisterTaskDefinition')).toBe(0);
    });
  });

  describe('setup (spec 3.2)', () => {
    it('registers the amended definition when the family does not exist (8.8.13, 8.8.14)', async () => {
      const { environment, clients } = fakeEnvironment({ family: 'test' });
      clearTaskDefinitionCache();
      await withVariables({ PREFECT__LOGGING__EXTRA_LOGGERS: "['test_logger']" }, () => environment.setup(new ImageStorage('test/image:tag')));
      expect(clients.ecs.inputsOf('RegisterTaskDefinition')).toEqual([
        {
          family: 'test',
          containerDefinitions: [
            {
              environment: [
                { name: 'PREFECT__CLOUD__GRAPHQL', value: 'http://localhost:4200/graphql/alpha' },
                { name: 'PREFECT__CLOUD__USE_LOCAL_SECRETS', value: 'false' },
                { name: 'PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS', value: '@flowenv/core#FlowRunner' },
                { name: 'PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS', value: '@flowenv/core#TaskRunner' },
                { name: 'PREFECT__LOGGING__LOG_TO_CLOUD', value: 'true' },
                { name: 'PREFECT__LOGGING__EXTRA_LOGGERS', value: "['test_logger']" },
              ],
              name: 'flow-container',
              image: 'test/image:tag',
              command: ['flowenv', 'execute'],
            },
          ],
        },
      ]);
    });

    it('registers nothing when the latest revision matches, and nothing new on a second setup (8.8.12)', async () => {
      const { environment, clients } = fakeEnvironment();
      await environment.setup(new ImageStorage());
      clearTaskDefinitionCache(); // as in a new process: describe, compare, reuse
      await environment.setup(new ImageStorage());
      await environment.setup(new ImageStorage());
      expect(clients.ecs.count('RegisterTaskDefinition')).toBe(1);
      expect(clients.ecs.count('DescribeTaskDefinition')).toBe(2);
    });

    it('registers one new revision when the storage image changes', async () => {
      const { environment, clients } = fakeEnvironment();
      await environment.setup(new ImageStorage('repo/flow:1'));
      await environment.setup(new ImageStorage('repo/flow:2'));
      await environment.setup(new ImageStorage('repo/flow:2'));
      expect(clients.ecs.count('RegisterTaskDefinition')).toBe(2);
    });

    it('needs a storage with an image', async () => {
      const { environment } = fakeEnvironment();
      const error = await rejectionOf(environment.setup(new LocalStorage()));
      expect(error.code).toBe('STORAGE_NOT_SUPPORTED');
      expect(error.message).toContain('DockerStorage');
      const unnamed = Object.assign(new ImageStorage(), { name: undefined }) as unknown as ImageStorage;
      expect((await rejectionOf(environment.setup(unnamed))).code).toBe('STORAGE_INVALID');
    });

    it('needs family', async () => {
      const { environment } = fakeEnvironment({ family: undefined });
      expect((await rejectionOf(environment.setup(new ImageStorage()))).message).toContain('`family`');
    });
  });

  describe('execute (spec 3.3)', () => {
    it('runs the task with the overrides, launch type and cluster, and pins the revision setup found (8.8.15)', async () => {
      const { environment, clients } = fakeEnvironment({ family: 'test', taskDefinition: 'test' });
      clearTaskDefinitionCache();
      const handle = await environment.execute(new ImageStorage('test/image:tag'), '/opt/prefect/flows/test.mjs');
      expect(clients.ecs.inputsOf('RunTask')).toEqual([
        {
          cluster: 'test',
          taskDefinition: 'test',
          launchType: 'FARGATE',
          overrides: {
            containerOverrides: [
              {
                name: 'flow-container',
                environment: [
                  { name: 'PREFECT__CLOUD__AUTH_TOKEN', value: '' },
                  { name: 'PREFECT__CONTEXT__FLOW_RUN_ID', value: 'unknown' },
                  { name: 'PREFECT__CONTEXT__IMAGE', value: 'test/image:tag' },
                  { name: 'PREFECT__CONTEXT__FLOW_FILE_PATH', value: '/opt/prefect/flows/test.mjs' },
                ],
              },
            ],
          },
        },
      ]);
      expect(handle.kind).toBe('ecs-task');
      expect(handle.id).toMatch(/^arn:aws:ecs:.*:task\/test\//);

      await environment.setup(new ImageStorage('test/image:tag'));
      await environment.execute(new ImageStorage('test/image:tag'), '/opt/prefect/flows/test.mjs');
      expect(clients.ecs.inputsOf('RunTask')[1]?.['taskDefinition']).toBe('arn:aws:ecs:us-east-1:123456789012:task-definition/test:1');
    });

    it('takes the flow run id from the run context and derives clientToken from it', async () => {
      const { environment, clients } = fakeEnvironment();
      await withVariables({ PREFECT__CONTEXT__FLOW_RUN_ID: '12345' }, () => environment.execute(new ImageStorage(), '/f.mjs'));
      await environment.execute(new ImageStorage(), '/f.mjs', { runContext: { flowRunId: 'from-options' } });
      const [fromConfig, fromOptions] = clients.ecs.inputsOf('RunTask');
      expect(JSON.stringify(fromConfig)).toContain('"name":"PREFECT__CONTEXT__FLOW_RUN_ID","value":"12345"');
      expect(JSON.stringify(fromOptions)).toContain('"value":"from-options"');
      expect(fromConfig?.['clientToken']).toMatch(/^flowenv-/);
      expect(fromConfig?.['clientToken']).not.toBe(fromOptions?.['clientToken']);
    });

    it('refuses to send a configured token as plain text; with authTokenSecretArn it goes through secrets (8.8.16)', async () => {
      const { environment: plain, clients: plainClients } = fakeEnvironment();
      for (const variable of ['PREFECT__CLOUD__AUTH_TOKEN', 'PREFECT__CLOUD__AGENT__AUTH_TOKEN']) {
        const error = await withVariables({ [variable]: 'secret-api-token' }, () => rejectionOf(plain.execute(new ImageStorage(), '/f.mjs')));
        expect(error.code).toBe('OPTIONS_INVALID');
        expect(error.message).toContain('authTokenSecretArn');
      }
      expect(plainClients.ecs.count('RunTask')).toBe(0);

      const { environment, clients } = fakeEnvironment({ authTokenSecretArn: tokenArn, executionRoleArn });
      await withVariables({ PREFECT__CLOUD__AGENT__AUTH_TOKEN: 'secret-api-token' }, async () => {
        await environment.setup(new ImageStorage());
        await environment.execute(new ImageStorage(), '/f.mjs');
      });
      const registered = clients.ecs.inputsOf('RegisterTaskDefinition')[0] as { containerDefinitions: { secrets: unknown }[] };
      expect(registered.containerDefinitions[0]?.secrets).toEqual([{ name: 'PREFECT__CLOUD__AUTH_TOKEN', valueFrom: tokenArn }]);
      expect(JSON.stringify(clients.ecs.calls)).not.toContain('secret-api-token');
      expect(JSON.stringify(clients.ecs.inputsOf('RunTask'))).not.toContain('PREFECT__CLOUD__AUTH_TOKEN');
    });

    it('sends a capacity provider strategy instead of the launch type, and EC2 when asked', async () => {
      const { environment, clients } = fakeEnvironment({ capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] });
      await environment.execute(new ImageStorage(), '/f.mjs');
      const { environment: ec2 } = fakeEnvironment({ launchType: 'EC2' }, clients);
      await ec2.execute(new ImageStorage(), '/f.mjs');
      const [spot, onEc2] = clients.ecs.inputsOf('RunTask');
      expect(spot).toMatchObject({ capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] });
      expect(spot).not.toHaveProperty('launchType');
      expect(onEc2?.['launchType']).toBe('EC2');
    });

    it('fails with the reasons when RunTask reports failures (0.11 ignored them)', async () => {
      const ecs = new FakeEcs().handle('RunTask', () => ({
        tasks: [],
        failures: [{ arn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/abc', reason: 'RESOURCE:MEMORY' }, { reason: 'AGENT', detail: 'agent disconnected' }],
      }));
      const { environment } = fakeEnvironment({}, fakeClients(ecs));
      const error = await rejectionOf(environment.execute(new ImageStorage(), '/f.mjs'));
      expect(error.code).toBe('AWS_RUN_TASK_FAILED');
      expect(error.message).toContain('container-instance/abc: RESOURCE:MEMORY');
      expect(error.message).toContain('AGENT (agent disconnected)');
    });

    it('stops the tasks a partly failed RunTask did start (count > 1)', async () => {
      const started = 'arn:aws:ecs:us-east-1:123456789012:task/test/started';
      const ecs = new FakeEcs().handle('RunTask', () => ({ tasks: [{ taskArn: started }], failures: [{ reason: 'RESOURCE:CPU' }] }));
      ecs.tasks.set(started, { taskArn: started, lastStatus: 'RUNNING' });
      const { environment } = fakeEnvironment({ count: 2 }, fakeClients(ecs));
      const error = await rejectionOf(environment.execute(new ImageStorage(), '/f.mjs'));
      expect(error.code).toBe('AWS_RUN_TASK_FAILED');
      expect(error.message).toContain('RESOURCE:CPU');
      expect(error.message).toContain(`stopped the ones it started: ${started}`);
      expect(ecs.inputsOf('StopTask')).toEqual([{ cluster: 'test', task: started, reason: 'Cancelled by flowenv' }]);
    });

    it('maps RunTask errors (access denied, cluster not found)', async () => {
      const { environment, clients } = fakeEnvironment();
      clients.ecs.fail('RunTask', awsError('AccessDeniedException', 'not authorized to perform: ecs:RunTask'), awsError('ClusterNotFoundException', 'Cluster not found.'));
      expect((await rejectionOf(environment.execute(new ImageStorage(), '/f.mjs'))).code).toBe('AWS_ACCESS_DENIED');
      const notFound = await rejectionOf(environment.execute(new ImageStorage(), '/f.mjs'));
      expect(notFound.code).toBe('AWS_REQUEST_FAILED');
      expect(notFound.message).toContain('Cluster not found.');
    });

    it('returns a handle that follows the task to its outcome and can cancel it', async () => {
      const { environment, clients } = fakeEnvironment({ pollIntervalMs: 100 });
      const handle: RunHandle = await environment.execute(new ImageStorage(), '/f.mjs');
      expect(handle.details).toMatchObject({ cluster: 'test' });
      clients.ecs.stopTask(handle.id, { stopCode: 'EssentialContainerExited', containers: [{ name: 'flow-container', exitCode: 137 }] });
      expect((await handle.wait()).reason).toMatch(/^OutOfMemory/);
      const second = await environment.execute(new ImageStorage(), '/f.mjs');
      await second.cancel();
      expect(await second.wait()).toMatchObject({ state: 'Cancelled' });
    });
  });

  describe('render', () => {
    it('returns the task definition and the RunTask request, without any AWS call', async () => {
      const { environment, clients, settings } = fakeEnvironment({ family: 'rendered', authTokenSecretArn: tokenArn, executionRoleArn });
      const documents = await environment.render(new ImageStorage('repo/flow:1'), '/opt/prefect/flows/flow.mjs', { runContext: { flowRunId: 'run-1' } });
      expect(documents.map((document) => document.kind)).toEqual(['TaskDefinition', 'RunTaskRequest']);
      expect(documents[0]?.document).toMatchObject({ family: 'rendered', executionRoleArn });
      expect(documents[1]?.document).toMatchObject({ taskDefinition: 'rendered', cluster: 'test', clientToken: expect.stringMatching(/^flowenv-/) });
      expect(clients.ecs.calls).toEqual([]);
      expect(settings).toEqual([]);
    });
  });

  describe('runFlow (inside the task)', () => {
    it('runs the flow from the context path with the config executor built with executorOptions (8.8.17)', async () => {
      const before = recordedExecutorOptions.length;
      const environment = new FargateTaskEnvironment({ executorOptions: { test: 'here' } });
      const result = await withVariables(
        { PREFECT__CONTEXT__FLOW_FILE_PATH: markBodyFlowPath, PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS: `${recordingExecutorPath}#RecordingExecutor` },
        () => environment.runFlow(),
      );
      expect(result.state).toBe('Success');
      expect(result.flowName).toBe('mark-body');
      expect(recordedExecutorOptions.slice(before)).toEqual([{ test: 'here' }]);
    });

    it('calls onStart, then the flow, then onExit (8.8.18)', async () => {
      const calls: string[] = [];
      const environment = new FargateTaskEnvironment({ onStart: () => void calls.push('start'), onExit: () => void calls.push('exit') });
      await withVariables({ PREFECT__CONTEXT__FLOW_FILE_PATH: markBodyFlowPath }, () => environment.runFlow());
      expect(calls).toEqual(['start', 'exit']);
    });

    it('fetches the storage secrets by name (0.11 Fargate ignored them, §9.1)', async () => {
      const environment = new FargateTaskEnvironment();
      const result = await withVariables({ PREFECT__CONTEXT__FLOW_FILE_PATH: secretFlowPath, PREFECT__CONTEXT__SECRETS__API_KEY: 'key-123' }, () => environment.runFlow());
      expect(result.tasks['read']?.result).toBe('key-123');
      const missing = await withVariables({ PREFECT__CONTEXT__FLOW_FILE_PATH: secretFlowPath, PREFECT__CONTEXT__SECRETS__API_KEY: undefined }, () =>
        rejectionOf(environment.runFlow()));
      expect(missing.code).toBe('SECRET_NOT_FOUND');
    });
  });

  it('runs the whole process: env-var credentials, setup, execute, then runFlow in the task (8.8.19)', async () => {
    const clients = fakeClients();
    const settings: AwsClientSettings[] = [];
    const calls: string[] = [];
    const environment = await withVariables(
      { AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session', REGION_NAME: 'region' },
      () =>
        new FargateTaskEnvironment({
          family: 'whole-process',
          taskDefinition: 'whole-process',
          cluster: 'test',
          executorOptions: { test: 'here' },
          onStart: () => void calls.push('start'),
          onExit: () => void calls.push('exit'),
          createClients: (given) => {
            settings.push(given);
            return clients;
          },
        }),
    );
    const storage = new ImageStorage('test/image:tag');
    await withVariables({ PREFECT__LOGGING__EXTRA_LOGGERS: "['test_logger']", PREFECT__CONTEXT__FLOW_RUN_ID: 'id' }, async () => {
      await environment.setup(storage);
      await environment.execute(storage, markBodyFlowPath);
    });
    expect(settings).toEqual([{ region: 'region', endpoint: undefined, credentials: { accessKeyId: 'id', secretAccessKey: 'secret', sessionToken: 'session' } }]);
    const registered = JSON.stringify(clients.ecs.inputsOf('RegisterTaskDefinition'));
    expect(registered).toContain(`{"name":"PREFECT__LOGGING__EXTRA_LOGGERS","value":"['test_logger']"}`);
    const runTask = clients.ecs.inputsOf('RunTask')[0] as { overrides: { containerOverrides: { environment: { name: string; value: string }[] }[] } };
    const taskEnvironment = Object.fromEntries(runTask.overrides.containerOverrides[0]?.environment.map(({ name, value }) => [name, value]) ?? []);
    expect(taskEnvironment['PREFECT__CONTEXT__FLOW_RUN_ID']).toBe('id');

    // Inside the task: the variables of the definition and the overrides.
    const result = await withVariables({ ...taskEnvironment, PREFECT__LOGGING__EXTRA_LOGGERS: "['test_logger']" }, () => environment.runFlow());
    expect(result.state).toBe('Success');
    expect(result.tasks['body']?.result).toEqual({ flowRunId: 'id' });
    expect(calls).toEqual(['start', 'exit']);
  });

  describe('serialize (spec 5.2)', () => {
    it('writes only labels, __version__ and type', () => {
      const environment = new FargateTaskEnvironment({ labels: ['b', 'a'], family: 'x', cluster: 'y', executorOptions: { a: 1 }, awsAccessKeyId: 'id', awsSecretAccessKey: 's' });
      expect(environment.serialize()).toEqual({ labels: ['a', 'b'], __version__: flowenvVersion, type: 'FargateTaskEnvironment' });
    });

    it('loads back with empty ECS options, credentials from the loading process (as 0.11)', async () => {
      const loaded = await withVariables({ ...noCredentialVariables, REGION_NAME: 'eu-north-1' }, () =>
        new EnvironmentRegistry([FargateTaskEnvironment]).deserialize({ labels: ['x'], type: 'FargateTaskEnvironment', __version__: '0.11.0' }));
      expect(loaded).toBeInstanceOf(FargateTaskEnvironment);
      expect(loaded.labels).toEqual(new Set(['x']));
      expect((loaded as FargateTaskEnvironment).taskDefinitionOptions).toEqual({});
      expect((loaded as FargateTaskEnvironment).regionName).toBe('eu-north-1');
    });
  });
});

let conformanceClients = fakeClients();
describeEnvironmentConformance({
  environmentClass: FargateTaskEnvironment,
  create: (options) => {
    conformanceClients = fakeClients();
    return new FargateTaskEnvironment({ ...options, family: `conformance-${++familyCounter}`, createClients: () => conformanceClients });
  },
  dependencies: ['@aws-sdk/client-ecs', '@aws-sdk/client-cloudwatch-logs'],
  runWithHooks: async (environment, markBody) => {
    const holder = globalThis as { flowenvFargateBody?: () => void };
    holder.flowenvFargateBody = markBody;
    try {
      return await withVariables({ PREFECT__CONTEXT__FLOW_FILE_PATH: markBodyFlowPath }, () => environment.runFlow());
    } finally {
      delete holder.flowenvFargateBody;
    }
  },
  setupStorage: () => new ImageStorage(),
  afterSetupTwice: () => {
    expect(conformanceClients.ecs.count('RegisterTaskDefinition')).toBe(1);
  },
});
