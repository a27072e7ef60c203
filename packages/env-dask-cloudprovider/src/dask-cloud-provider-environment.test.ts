import { fileURLToPath } from 'node:url';
import { EnvironmentRegistry, Flow, FlowenvError, flowenvVersion, maskSecrets, setLogSink, type RunHandle, type Storage } from '@flowenv/core';
import { describeEnvironmentConformance } from '@flowenv/core/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeAws } from './__fixtures__/fake-aws.js';
import { FakeProvider } from './__fixtures__/fake-provider.js';
import { FakeStorage } from './__fixtures__/fake-storage.js';
import { recorded } from './__fixtures__/in-process-dask-executor.js';
import { DASK_EXECUTOR, DaskCloudProviderEnvironment } from './dask-cloud-provider-environment.js';
import type { DaskCloudProviderEnvironmentOptions } from './environment-options.js';

// No cluster in unit tests: `@flowenv/dask#DaskExecutor` resolves to a stand-in that records its
// options and runs tasks here. The real executor runs in e2e/src/dask-cloudprovider-local.e2e.test.ts.
vi.mock('@flowenv/dask', async (importOriginal) => ({
  ...(await importOriginal<Record<string, unknown>>()),
  DaskExecutor: (await import('./__fixtures__/in-process-dask-executor.js')).InProcessDaskExecutor,
}));

const contextFlowPath = fileURLToPath(new URL('./__fixtures__/context-flow.ts', import.meta.url));
const security = { caFile: '/tls/ca.pem', certFile: '/tls/cert.pem', keyFile: '/tls/key.pem' };

function oneTaskFlow(body: () => unknown = () => 'done'): Flow {
  const flow = new Flow({ name: 'one-task' });
  flow.task('body', () => body());
  return flow;
}

/** A storage whose flow lives in an image, as DockerStorage. */
function imageStorage(name: string, flow: () => Flow = () => oneTaskFlow()): Storage & { name: string } {
  return Object.assign(new FakeStorage(flow), { type: 'DockerStorage', name });
}

function errorOf(action: () => unknown): FlowenvError {
  try {
    action();
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw new Error(`expected a FlowenvError, got ${String(error)}`);
  }
  throw new Error('expected a FlowenvError, nothing was thrown');
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

async function outcomeOf(handle: RunHandle | void) {
  if (!handle) throw new Error('execute returned no handle');
  return handle.wait();
}

/** An environment on a FakeProvider whose hooks write into the provider's event list. */
function recordingEnvironment(options: Partial<DaskCloudProviderEnvironmentOptions> = {}, failures: ConstructorParameters<typeof FakeProvider>[1] = {}) {
  const events: string[] = [];
  const provider = new FakeProvider(events, failures, { ...security, requireEncryption: true });
  const environment = new DaskCloudProviderEnvironment({
    provider,
    onExecute: () => void events.push('onExecute'),
    onStart: () => void events.push('onStart'),
    onExit: () => void events.push('onExit'),
    ...options,
  });
  const storage = new FakeStorage(() => oneTaskFlow(() => events.push('flow')));
  return { events, provider, environment, storage };
}

describe('DaskCloudProviderEnvironment (spec 2.7, 4, 8.5)', () => {
  let restoreSink: () => void;
  let messages: string[];
  beforeEach(() => {
    messages = [];
    restoreSink = setLogSink((record) => void messages.push(`${record.level}: ${record.message}`));
  });
  afterEach(() => restoreSink());

  describe('construction', () => {
    it('is constructible with any provider: the two built-in names, an object, a factory (8.5.1)', () => {
      for (const provider of ['FargateCluster', 'ECSCluster', new FakeProvider(), () => new FakeProvider()] as const) {
        expect(new DaskCloudProviderEnvironment({ provider }).type).toBe('DaskCloudProviderEnvironment');
      }
      expect(new DaskCloudProviderEnvironment({ provider: 'ECSCluster' }).providerName).toBe('ECSCluster');
      expect(new DaskCloudProviderEnvironment({ provider: new FakeProvider() }).providerName).toBe('FakeCluster');
    });

    it('defaults: executorOptions exactly { address: "" }, no labels, no hooks, its own logger (8.5.2)', () => {
      const environment = new DaskCloudProviderEnvironment({ provider: 'FargateCluster' });
      expect(environment.executorOptions).toEqual({ address: '' });
      expect(environment.executor).toBe(DASK_EXECUTOR);
      expect(environment.labels).toEqual(new Set());
      expect(environment.onExecute).toBeUndefined();
      expect(environment.onStart).toBeUndefined();
      expect(environment.onExit).toBeUndefined();
      expect(environment.logger.name).toBe('flowenv.DaskCloudProviderEnvironment');
      expect(environment.providerOptions).toEqual({});
      expect(environment.adaptiveMinWorkers).toBeUndefined();
      expect(environment.adaptiveMaxWorkers).toBeUndefined();
    });

    it('keeps executorOptions, adding the empty address (8.5.3), without changing the caller\'s object', () => {
      const executorOptions = { test: 'here' };
      const environment = new DaskCloudProviderEnvironment({ provider: 'FargateCluster', executorOptions });
      expect(environment.executorOptions).toEqual({ address: '', test: 'here' });
      expect(executorOptions).toEqual({ test: 'here' });
    });

    it('keeps labels as a set (8.5.4)', () => {
      expect(new DaskCloudProviderEnvironment({ provider: 'FargateCluster', labels: ['foo', 'foo'] }).labels).toEqual(new Set(['foo']));
    });

    it('keeps the three callbacks (8.5.5)', () => {
      const onExecute = (): void => {};
      const onStart = (): void => {};
      const onExit = (): void => {};
      const environment = new DaskCloudProviderEnvironment({ provider: 'FargateCluster', onExecute, onStart, onExit });
      expect(environment.onExecute).toBe(onExecute);
      expect(environment.onStart).toBe(onStart);
      expect(environment.onExit).toBe(onExit);
    });

    it('lists the npm packages its process needs (8.5.6; 0.11: dask_cloudprovider)', () => {
      expect(new DaskCloudProviderEnvironment({ provider: 'FargateCluster' }).dependencies).toEqual([
        '@flowenv/dask', '@aws-sdk/client-ecs', '@aws-sdk/client-ec2', '@aws-sdk/client-iam', '@aws-sdk/client-cloudwatch-logs', '@aws-sdk/client-secrets-manager',
      ]);
    });

    it('passes AWS credentials and region unchanged into providerOptions, masked in logs (8.5.7)', () => {
      const environment = new DaskCloudProviderEnvironment({
        provider: 'FargateCluster',
        awsAccessKeyId: 'AKIAEXAMPLEKEYID',
        awsSecretAccessKey: 'secret-access-key-value',
        awsSessionToken: 'session-token-value',
        regionName: 'eu-west-1',
      });
      expect(environment.providerOptions).toEqual({
        awsAccessKeyId: 'AKIAEXAMPLEKEYID',
        awsSecretAccessKey: 'secret-access-key-value',
        awsSessionToken: 'session-token-value',
        regionName: 'eu-west-1',
      });
      expect(maskSecrets('key secret-access-key-value')).toBe('key ********');
      expect(JSON.stringify(environment.serialize())).not.toContain('secret-access-key-value');
    });

    it('keeps an explicit skipCleanup: false and extra provider options, and each run gets an equal copy (8.5.8)', async () => {
      const provider = new FakeProvider();
      const environment = new DaskCloudProviderEnvironment({ provider, providerOptions: { cluster: 'test' }, skipCleanup: false });
      expect(environment.providerOptions).toEqual({ cluster: 'test', skipCleanup: false });
      await environment.execute(new FakeStorage(() => oneTaskFlow()), 'loc');
      await environment.execute(new FakeStorage(() => oneTaskFlow()), 'loc');
      expect(provider.created.map((created) => created.options)).toEqual([{ cluster: 'test', skipCleanup: false }, { cluster: 'test', skipCleanup: false }]);
    });

    it('puts security into executorOptions and providerOptions (spec 4.1), copied', () => {
      const given = { ...security };
      const environment = new DaskCloudProviderEnvironment({ provider: 'FargateCluster', security: given });
      expect(environment.executorOptions).toEqual({ address: '', security });
      expect(environment.providerOptions).toEqual({ security });
      given.caFile = '/elsewhere';
      expect(environment.security).toEqual(security);
    });

    it('rejects bad options with a typed error naming the field', () => {
      expect(errorOf(() => new DaskCloudProviderEnvironment({} as never)).message).toContain('`provider`');
      expect(errorOf(() => new DaskCloudProviderEnvironment({ provider: 'KubeCluster' as never })).message).toContain('`provider`: expected "FargateCluster", "ECSCluster", an object with create/adapt/close');
      expect(errorOf(() => new DaskCloudProviderEnvironment({ provider: 'FargateCluster', adaptiveMinWorkers: 3, adaptiveMaxWorkers: 2 })).message).toContain('`adaptiveMaxWorkers`: must be >= adaptiveMinWorkers (3)');
      expect(errorOf(() => new DaskCloudProviderEnvironment({ provider: 'FargateCluster', nWorkers: 'two' as never })).message).toContain('`nWorkers`');
      expect(errorOf(() => new DaskCloudProviderEnvironment({ provider: 'FargateCluster', workerMem: 1 } as never)).message).toContain('workerMem');
      expect(errorOf(() => new DaskCloudProviderEnvironment({ provider: 'FargateCluster', onExecute: 'size it' as never })).code).toBe('OPTIONS_INVALID');
    });
  });

  describe('execute: one cluster per run, always torn down', () => {
    it('runs onExecute, create, adapt, onStart, the flow, onExit, then the teardown', async () => {
      const { events, environment, storage } = recordingEnvironment({ adaptiveMinWorkers: 1, adaptiveMaxWorkers: 3 });
      const outcome = await outcomeOf(await environment.execute(storage, 'loc'));
      expect(outcome.state).toBe('Success');
      expect(events).toEqual(['onExecute', 'create', 'adapt 1..3', 'onStart', 'flow', 'onExit', 'close']);
      expect(messages).toContain('info: Creating Dask cluster using FakeCluster');
      expect(messages).toContain('info: Dask scheduler at tls://10.0.0.1:8786; dashboard http://10.0.0.1:8787');
    });

    it('runs the flow with DaskExecutor at the new scheduler, with the provider\'s TLS files and your executorOptions', async () => {
      const before = recorded.options.length;
      const { environment, storage } = recordingEnvironment({ executorOptions: { connectTimeoutMs: 500 } });
      const handle = await environment.execute(storage, 'loc');
      expect(recorded.options.slice(before)).toEqual([{ connectTimeoutMs: 500, address: 'tls://10.0.0.1:8786', security: { ...security, requireEncryption: true } }]);
      expect(handle.details).toMatchObject({ scheduler: 'tls://10.0.0.1:8786', provider: 'FakeCluster' });
      // The environment's own options are unchanged: the address belongs to the run.
      expect(environment.executorOptions).toEqual({ address: '', connectTimeoutMs: 500 });
    });

    it('prefers the environment\'s security over the provider\'s', async () => {
      const before = recorded.options.length;
      const mine = { caFile: '/mine/ca', certFile: '/mine/cert', keyFile: '/mine/key' };
      const { environment, storage } = recordingEnvironment({ security: mine });
      await environment.execute(storage, 'loc');
      expect(recorded.options.slice(before)[0]?.['security']).toEqual(mine);
    });

    it('lets onExecute size the cluster from the parameters, in place or by returning new options, without changing the environment', async () => {
      const provider = new FakeProvider();
      const environment = new DaskCloudProviderEnvironment({
        provider,
        nWorkers: 1,
        onExecute: (parameters, providerOptions) => {
          providerOptions['nWorkers'] = parameters['partitions'];
        },
      });
      const flow = (): Flow => {
        const created = new Flow({ name: 'sized' });
        created.parameter('partitions');
        created.task('noop', () => 1);
        return created;
      };
      await environment.execute(new FakeStorage(flow), 'loc', { parameters: { partitions: 4 } });
      expect(provider.created[0]?.options).toEqual({ nWorkers: 4 });
      expect(environment.providerOptions).toEqual({ nWorkers: 1 });

      const replacing = new DaskCloudProviderEnvironment({ provider, nWorkers: 1, onExecute: async () => ({ nWorkers: 7, image: 'mine:1' }) });
      await replacing.execute(imageStorage('storage:1'), 'loc');
      expect(provider.created[1]?.options).toEqual({ nWorkers: 7, image: 'mine:1' });
    });

    it('fails the run when onExecute throws (0.11 logged it and went on): nothing created, no hook called', async () => {
      const { events, provider, environment, storage } = recordingEnvironment({
        onExecute: () => {
          throw new Error('no such partition');
        },
      });
      const error = await rejection(environment.execute(storage, 'loc'));
      expect(error.code).toBe('ON_EXECUTE_FAILED');
      expect(error.message).toBe('onExecute failed, so no Dask cluster was created: Error: no such partition');
      expect(events).toEqual([]);
      expect(provider.closed).toBe(0);
    });

    it('takes the image from the storage when the options name none, else from PREFECT__CONTEXT__IMAGE', async () => {
      const provider = new FakeProvider();
      await new DaskCloudProviderEnvironment({ provider }).execute(imageStorage('registry.example/flow:3'), 'loc');
      await new DaskCloudProviderEnvironment({ provider, image: 'explicit:1' }).execute(imageStorage('registry.example/flow:3'), 'loc');
      await new DaskCloudProviderEnvironment({ provider }).execute(new FakeStorage(() => oneTaskFlow()), 'loc', { runContext: { image: 'from-context:2' } });
      await new DaskCloudProviderEnvironment({ provider }).execute(new FakeStorage(() => oneTaskFlow()), 'loc');
      expect(provider.created.map((created) => created.options['image'])).toEqual(['registry.example/flow:3', 'explicit:1', 'from-context:2', undefined]);
    });

    it('tags the cluster with the flow run id, else a fresh UUID', async () => {
      const provider = new FakeProvider();
      const environment = new DaskCloudProviderEnvironment({ provider });
      await environment.execute(new FakeStorage(() => oneTaskFlow()), 'loc', { runContext: { flowRunId: 'run-7' } });
      await environment.execute(new FakeStorage(() => oneTaskFlow()), 'loc');
      expect(provider.created[0]?.context.runId).toBe('run-7');
      expect(provider.created[1]?.context.runId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('makes a fresh provider per run from a factory', async () => {
      const made: FakeProvider[] = [];
      const environment = new DaskCloudProviderEnvironment({ provider: () => made[made.push(new FakeProvider()) - 1] as FakeProvider });
      await environment.execute(new FakeStorage(() => oneTaskFlow()), 'loc');
      await environment.execute(new FakeStorage(() => oneTaskFlow()), 'loc');
      expect(made.map((provider) => [provider.created.length, provider.closed])).toEqual([[1, 1], [1, 1]]);
    });

    describe('adapt', () => {
      const run = async (options: Partial<DaskCloudProviderEnvironmentOptions>) => {
        const { provider, environment, storage } = recordingEnvironment(options);
        await environment.execute(storage, 'loc');
        return provider.adapted;
      };
      it('is not called without bounds', async () => expect(await run({})).toEqual([]));
      it('accepts 0 as the minimum (0.11 treated 0 as "off")', async () => expect(await run({ adaptiveMinWorkers: 0 })).toEqual([[0, 1]]));
      it('defaults the maximum to the larger of the minimum and nWorkers', async () => {
        expect(await run({ adaptiveMinWorkers: 2, nWorkers: 5 })).toEqual([[2, 5]]);
        expect(await run({ adaptiveMinWorkers: 4, nWorkers: 1 })).toEqual([[4, 4]]);
      });
      it('defaults the minimum to 0 when only the maximum is set', async () => expect(await run({ adaptiveMaxWorkers: 6 })).toEqual([[0, 6]]));
    });

    describe('tears the cluster down at every failure point', () => {
      it('create fails: close is still called (to remove a half-made cluster), neither hook runs (spec 1.6)', async () => {
        const { events, environment, storage } = recordingEnvironment({}, { create: new Error('subnet full') });
        await expect(environment.execute(storage, 'loc')).rejects.toThrow('subnet full');
        expect(events).toEqual(['onExecute', 'create', 'close']);
      });

      it('create gives no scheduler address: a clear error, then close', async () => {
        const { events, environment, storage } = recordingEnvironment({}, { address: '' });
        const error = await rejection(environment.execute(storage, 'loc'));
        expect(error.code).toBe('DASK_CLUSTER_FAILED');
        expect(error.message).toBe('FakeCluster created a cluster but gave no scheduler address; tearing the cluster down');
        expect(events).toEqual(['onExecute', 'create', 'close']);
      });

      it('adapt fails: close, no hooks', async () => {
        const { events, environment, storage } = recordingEnvironment({ adaptiveMinWorkers: 1 }, { adapt: new Error('quota') });
        await expect(environment.execute(storage, 'loc')).rejects.toThrow('quota');
        expect(events).toEqual(['onExecute', 'create', 'adapt 1..1', 'close']);
      });

      it('onStart fails: no flow, no onExit (0.11 order), but the teardown', async () => {
        const { events, environment, storage } = recordingEnvironment({
          onStart: () => {
            events.push('onStart');
            throw new Error('start refused');
          },
        });
        await expect(environment.execute(storage, 'loc')).rejects.toThrow('start refused');
        expect(events).toEqual(['onExecute', 'create', 'onStart', 'close']);
      });

      it('the flow cannot be loaded: logged, onExit, teardown, then the error', async () => {
        const { events, environment } = recordingEnvironment();
        const storage = new FakeStorage(() => {
          throw new Error('storage is gone');
        });
        await expect(environment.execute(storage, 'loc')).rejects.toThrow('storage is gone');
        expect(events).toEqual(['onExecute', 'create', 'onStart', 'onExit', 'close']);
        expect(messages).toContain('error: Unexpected error raised during flow run: Error: storage is gone');
      });

      it('a Failed flow is a result: onExit, teardown, resolves Failed', async () => {
        const { events, environment } = recordingEnvironment();
        const storage = new FakeStorage(() => oneTaskFlow(() => {
          throw new Error('task failed');
        }));
        expect((await outcomeOf(await environment.execute(storage, 'loc'))).state).toBe('Failed');
        expect(events).toEqual(['onExecute', 'create', 'onStart', 'onExit', 'close']);
      });

      it('the teardown fails after a good run: the run fails loudly (a leak is never silent)', async () => {
        const { events, environment, storage } = recordingEnvironment({}, { close: new Error('DeleteSecurityGroup denied') });
        const error = await rejection(environment.execute(storage, 'loc'));
        expect(error.code).toBe('DASK_CLUSTER_TEARDOWN_FAILED');
        expect(error.message).toBe('The flow ran, but tearing down the Dask cluster (FakeCluster) failed: Error: DeleteSecurityGroup denied');
        expect(events).toEqual(['onExecute', 'create', 'onStart', 'flow', 'onExit', 'close']);
      });

      it('the teardown fails after a failed run: the run\'s error wins, the teardown\'s is logged', async () => {
        const { environment } = recordingEnvironment({}, { close: new Error('DeleteRole denied') });
        const storage = new FakeStorage(() => {
          throw new Error('storage is gone');
        });
        await expect(environment.execute(storage, 'loc')).rejects.toThrow('storage is gone');
        expect(messages).toContain('error: Tearing down the Dask cluster failed as well: Error: DeleteRole denied');
      });
    });

    it('with "FargateCluster": creates the ECS resources, runs the flow at the scheduler\'s ENI address, removes everything', async () => {
      const aws = new FakeAws();
      aws.describesToRun = 0;
      const before = recorded.options.length;
      const environment = new DaskCloudProviderEnvironment({
        provider: 'FargateCluster',
        regionName: 'eu-west-1',
        nWorkers: 2,
        adaptiveMinWorkers: 3,
        adaptiveMaxWorkers: 4,
        createClients: () => aws.clients,
        onExecute: (parameters, providerOptions) => {
          providerOptions['nWorkers'] = parameters['workers'];
        },
      });
      const flow = (): Flow => {
        const created = new Flow({ name: 'on-fargate' });
        created.parameter('workers');
        created.task('answer', () => 42);
        return created;
      };
      const outcome = await outcomeOf(await environment.execute(imageStorage('registry.example/flow:1', flow), 'loc', { parameters: { workers: 1 } }));
      expect(outcome.state).toBe('Success');
      const options = recorded.options.slice(before)[0] as { address: string; security: { caFile: string } };
      expect(options.address).toBe('tls://10.0.0.1:8786');
      expect(options.security.caFile).toMatch(/flowenv-dask-tls-.*\/ca\.pem$/);
      // onExecute asked for 1 worker; adapt brought it to 3.
      expect(aws.inputsOf('RunTask').map((input) => input['count'])).toEqual([1, 1, 2]);
      expect(aws.live()).toEqual({ tasks: 0, clusters: 0, taskDefinitions: 0, securityGroups: 0, roles: 0, logGroups: 0, secrets: 0 });
      expect(aws.count('DeleteSecret')).toBe(1);
      // The key went to Secrets Manager only: not to ECS, not to the log.
      expect(JSON.stringify([...aws.inputsOf('RunTask'), ...aws.inputsOf('RegisterTaskDefinition')])).not.toContain('PRIVATE KEY');
      expect(messages.join('\n')).not.toContain('PRIVATE KEY');
    });
  });

  describe('runFlow (the entry point of `flowenv execute`)', () => {
    it('runs the flow of PREFECT__CONTEXT__FLOW_FILE_PATH on a cluster of its own, inside the hooks', async () => {
      const { events, environment } = recordingEnvironment();
      const previous = process.env['PREFECT__CONTEXT__FLOW_FILE_PATH'];
      process.env['PREFECT__CONTEXT__FLOW_FILE_PATH'] = contextFlowPath;
      const before = recorded.options.length;
      try {
        const result = await environment.runFlow();
        expect(result.tasks['answer']?.result).toBe(42);
      } finally {
        if (previous === undefined) delete process.env['PREFECT__CONTEXT__FLOW_FILE_PATH'];
        else process.env['PREFECT__CONTEXT__FLOW_FILE_PATH'] = previous;
      }
      expect(events).toEqual(['onExecute', 'create', 'onStart', 'onExit', 'close']);
      expect(recorded.options.slice(before)[0]).toMatchObject({ address: 'tls://10.0.0.1:8786' });
    });
  });

  describe('serialization (0.11: CustomEnvironment; here its own type)', () => {
    it('carries provider, adaptive bounds and labels; never credentials, security or hooks', () => {
      const environment = new DaskCloudProviderEnvironment({
        provider: 'FargateCluster',
        adaptiveMinWorkers: 0,
        adaptiveMaxWorkers: 4,
        labels: ['b', 'a'],
        awsSecretAccessKey: 'secret-value-1234',
        awsAccessKeyId: 'AKIA1234',
        security,
        onExecute: () => {},
      });
      expect(environment.serialize()).toEqual({
        provider: 'FargateCluster',
        adaptive_min_workers: 0,
        adaptive_max_workers: 4,
        labels: ['a', 'b'],
        __version__: flowenvVersion,
        type: 'DaskCloudProviderEnvironment',
      });
    });

    it('loads back a built-in provider as itself, and a custom one as a stand-in that refuses to run', async () => {
      const registry = new EnvironmentRegistry([DaskCloudProviderEnvironment]);
      const loaded = registry.deserialize({ type: 'DaskCloudProviderEnvironment', provider: 'ECSCluster', adaptive_min_workers: 1, labels: ['x'], __version__: '0.11.0' }) as DaskCloudProviderEnvironment;
      expect(loaded).toBeInstanceOf(DaskCloudProviderEnvironment);
      expect([loaded.providerName, loaded.adaptiveMinWorkers, loaded.adaptiveMaxWorkers, [...loaded.labels]]).toEqual(['ECSCluster', 1, undefined, ['x']]);

      const custom = registry.deserialize(new DaskCloudProviderEnvironment({ provider: new FakeProvider() }).serialize()) as DaskCloudProviderEnvironment;
      expect(custom.providerName).toBe('FakeCluster');
      await expect(custom.execute(new FakeStorage(() => oneTaskFlow()), 'loc')).rejects.toThrow('provider "FakeCluster" is not part of the serialized environment');
    });
  });
});

describeEnvironmentConformance({
  environmentClass: DaskCloudProviderEnvironment,
  create: (options) => new DaskCloudProviderEnvironment({ provider: () => new FakeProvider(), ...options }),
  dependencies: ['@flowenv/dask', '@aws-sdk/client-ecs', '@aws-sdk/client-ec2', '@aws-sdk/client-iam', '@aws-sdk/client-cloudwatch-logs', '@aws-sdk/client-secrets-manager'],
  runWithHooks: (environment, markBody) => environment.execute(new FakeStorage(() => oneTaskFlow(markBody)), 'loc'),
  setupStorage: () => new FakeStorage(() => oneTaskFlow()),
});
