import { fileURLToPath } from 'node:url';
import { FlowenvError, LocalStorage, setLogSink, type LogRecord } from '@flowenv/core';
import { describeEnvironmentConformance } from '@flowenv/core/testing';
import type { V1Job, V1Pod, V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { apiError, FakeKubernetesApi } from './__fixtures__/fake-kubernetes-api.js';
import { ImageStorage } from './__fixtures__/image-storage.js';
import { RecordingExecutor, recordedExecutorOptions } from './__fixtures__/recording-executor.js';
import { DaskKubernetesEnvironment } from './dask-kubernetes-environment.js';
import type { DaskKubernetesEnvironmentOptions, DaskScheduler } from './dask-kubernetes-options.js';

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

const fixture = (name: string): string => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));
const recordingExecutor = (address: string): RecordingExecutor => new RecordingExecutor({ address });
const storage = new ImageStorage('test1/test2:test3');
const identifier = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';

/** A scheduler stand-in: an address and a record of close(). */
function fakeScheduler(events: string[]): () => Promise<DaskScheduler> {
  return async () => {
    events.push('scheduler started');
    return { address: 'tcp://127.0.0.1:40123', close: async () => void events.push('scheduler closed') };
  };
}

/** The variables the scheduler Job gives its container. */
const jobVariables = (flowFile: string): Record<string, string | undefined> => ({
  PREFECT__CONTEXT__FLOW_FILE_PATH: flowFile,
  PREFECT__CONTEXT__IMAGE: 'test1/test2:test3',
  PREFECT__CONTEXT__IDENTIFIER: identifier,
  PREFECT__CONTEXT__NAMESPACE: 'flows',
  PREFECT__CONTEXT__FLOW_RUN_ID: 'run-1',
  PREFECT__CONTEXT__POD_NAME: 'prefect-dask-job-x-abcde',
  PREFECT__CONTEXT__POD_UID: 'uid-scheduler',
  PREFECT__CONTEXT__POD_IP: '10.1.2.3',
  PREFECT__CLOUD__AUTH_TOKEN: undefined,
  PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS: undefined,
});

const create = (options: DaskKubernetesEnvironmentOptions = {}, api = new FakeKubernetesApi()): DaskKubernetesEnvironment =>
  new DaskKubernetesEnvironment({ api, ...options });


describe('DaskKubernetesEnvironment: construction (spec 8.7)', () => {
  it('8.7.1 test_create_dask_environment: defaults 1/2/false/false/false/undefined, no labels, no hooks, a logger', () => {
    const environment = new DaskKubernetesEnvironment();
    expect(environment.minWorkers).toBe(1);
    expect(environment.maxWorkers).toBe(2);
    expect(environment.workStealing).toBe(false);
    expect(environment.schedulerLogs).toBe(false);
    expect(environment.privateRegistry).toBe(false);
    expect(environment.dockerSecret).toBeUndefined();
    expect(environment.labels).toEqual(new Set());
    expect(environment.onStart).toBeUndefined();
    expect(environment.onExit).toBeUndefined();
    expect(environment.logger).toBeDefined();
  });

  it('8.7.2 test_create_dask_environment_args: every option is stored', () => {
    const environment = new DaskKubernetesEnvironment({ minWorkers: 5, maxWorkers: 6, workStealing: true, schedulerLogs: true, privateRegistry: true, dockerSecret: 'docker', namespace: 'flows' });
    expect([environment.minWorkers, environment.maxWorkers, environment.workStealing, environment.schedulerLogs, environment.privateRegistry]).toEqual([5, 6, true, true, true]);
    expect(environment.dockerSecret).toBe('docker');
    expect(environment.namespace).toBe('flows');
  });

  it('8.7.3 / 8.7.4 labels and callbacks', () => {
    const onStart = (): void => {};
    const onExit = (): void => {};
    const environment = new DaskKubernetesEnvironment({ labels: ['foo', 'bar', 'foo'], onStart, onExit });
    expect(environment.labels).toEqual(new Set(['foo', 'bar']));
    expect(environment.onStart).toBe(onStart);
    expect(environment.onExit).toBe(onExit);
  });

  it('8.7.5 test_dask_environment_dependencies: the Kubernetes SDK (0.11: kubernetes) and the Dask package', () => {
    expect(new DaskKubernetesEnvironment().dependencies).toEqual(['@kubernetes/client-node', '@flowenv/dask']);
  });

  it('dockerSecret: "DOCKER_REGISTRY_CREDENTIALS" with privateRegistry, undefined without (even when passed), and a deprecation warning', () => {
    const records: LogRecord[] = [];
    const restore = setLogSink((record) => records.push(record));
    try {
      expect(new DaskKubernetesEnvironment({ privateRegistry: true }).dockerSecret).toBe('DOCKER_REGISTRY_CREDENTIALS');
    } finally {
      restore();
    }
    expect(records.some((record) => record.level === 'warn' && record.message.includes('deprecated'))).toBe(true);
    expect(new DaskKubernetesEnvironment({ dockerSecret: 'x' }).dockerSecret).toBeUndefined();
  });

  it('8.7.21 test_initialize_environment_with_spec_populates: both spec files are read at construction', () => {
    const environment = new DaskKubernetesEnvironment({ schedulerSpecFile: fixture('custom-scheduler.yaml'), workerSpecFile: fixture('custom-worker.yaml') });
    expect(environment.schedulerSpec.metadata?.name).toBe('my-dask-scheduler');
    expect(environment.workerSpec.metadata?.name).toBe('my-worker');
    expect(environment.schedulerSpecFile).toBe(fixture('custom-scheduler.yaml'));
  });

  it('rejects bad options with the field in the message', () => {
    const invalid = (options: DaskKubernetesEnvironmentOptions, field: string): void => {
      let caught: unknown;
      try {
        new DaskKubernetesEnvironment(options);
      } catch (error) {
        caught = error;
      }
      expect(FlowenvError.isInstance(caught) && caught.code === 'OPTIONS_INVALID').toBe(true);
      expect((caught as Error).message).toContain(field);
    };
    invalid({ minWorkers: 3, maxWorkers: 2 }, 'maxWorkers');
    invalid({ minWorkers: -1 }, 'minWorkers');
    invalid({ maxWorkers: 0 }, 'maxWorkers');
    invalid({ minWorkers: 1.5 }, 'minWorkers');
    invalid({ namespace: 'Not_A_Namespace' }, 'namespace');
    invalid({ unknownOption: true } as DaskKubernetesEnvironmentOptions, 'unknownOption');
    invalid({ schedulerSpecFile: fixture('invalid-yaml.yaml') }, 'not valid YAML');
    invalid({ schedulerSpecFile: fixture('not-a-job.yaml') }, 'schedulerSpecFile');
    invalid({ workerSpecFile: fixture('custom-scheduler.yaml') }, 'workerSpecFile');
  });

  it('a spec file absent where the module loads (inside the image) is reported when execute or render needs it', async () => {
    const environment = create({ schedulerSpecFile: '/nowhere/scheduler.yaml' });
    await expect(environment.render(storage, 'test4')).rejects.toThrow('/nowhere/scheduler.yaml');
    await expect(environment.execute(storage, 'test4')).rejects.toThrow('/nowhere/scheduler.yaml');
  });
});

describe('DaskKubernetesEnvironment: serialization (spec 5.2, 8.7.24)', () => {
  it('serializes docker_secret, private_registry, min_workers, max_workers and labels only', () => {
    expect(new DaskKubernetesEnvironment().serialize()).toMatchObject({ docker_secret: null, labels: [], private_registry: false, min_workers: 1, max_workers: 2, type: 'DaskKubernetesEnvironment' });
    const serialized = new DaskKubernetesEnvironment({ privateRegistry: true, minWorkers: 2, maxWorkers: 4, workStealing: true, schedulerSpecFile: fixture('custom-scheduler.yaml') }).serialize();
    expect(Object.keys(serialized).sort()).toEqual(['__version__', 'docker_secret', 'labels', 'max_workers', 'min_workers', 'private_registry', 'type']);
    const loaded = DaskKubernetesEnvironment.fromSerialized(serialized);
    expect([loaded.privateRegistry, loaded.dockerSecret, loaded.minWorkers, loaded.maxWorkers]).toEqual([true, 'DOCKER_REGISTRY_CREDENTIALS', 2, 4]);
    // Spec files do not travel: the loaded copy uses the packaged manifests.
    expect(loaded.schedulerSpecFile).toBeUndefined();
  });

  it('8.7.6 / 8.7.24 the identifier is not part of the environment: every execute makes a new one, shared by the Job and its workers', async () => {
    const environment = create();
    const [first, second] = [await environment.render(storage, 'test4'), await environment.render(storage, 'test4')];
    const idOf = (documents: { document: unknown }[]): string | undefined => (documents[0]?.document as V1Job).metadata?.labels?.['prefect.io/identifier'];
    expect(idOf(first)).toMatch(/^[0-9a-f-]{36}$/);
    expect(idOf(second)).not.toBe(idOf(first));
    const job = first[0]?.document as V1Job;
    const worker = first[1]?.document as V1Pod;
    expect(job.spec?.template.spec?.containers[0]?.env).toContainEqual({ name: 'PREFECT__CONTEXT__IDENTIFIER', value: idOf(first) });
    expect(worker.metadata?.labels?.['prefect.io/identifier']).toBe(idOf(first));
    expect(JSON.stringify(environment.serialize())).not.toContain(idOf(first) as string);
  });
});

describe('DaskKubernetesEnvironment: setup (spec 8.7.8–8.7.10)', () => {
  const credentials = JSON.stringify({ 'docker-server': 'registry.test:5000', 'docker-username': 'user', 'docker-password': 'pass', 'docker-email': 'me@test' });

  it('8.7.8 without privateRegistry: no Kubernetes call at all', async () => {
    const api = new FakeKubernetesApi();
    await create({}, api).setup(storage);
    expect(api.calls).toEqual([]);
  });

  it('8.7.9 with privateRegistry: creates <namespace>-docker from the secret named by dockerSecret (lower-case keys + auth, §9.23)', async () => {
    const api = new FakeKubernetesApi();
    await withVariables({ PREFECT__CONTEXT__NAMESPACE: 'foo', PREFECT__CONTEXT__SECRETS__DOCKER_REGISTRY_CREDENTIALS: credentials }, () => create({ privateRegistry: true }, api).setup(storage));
    expect(api.callsOf('createSecret')).toHaveLength(1);
    const secret = api.secrets.get('foo/foo-docker') as V1Secret;
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    const config = JSON.parse(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8')) as unknown;
    expect(config).toEqual({ auths: { 'registry.test:5000': { username: 'user', password: 'pass', email: 'me@test', auth: Buffer.from('user:pass').toString('base64') } } });
  });

  it('8.7.10 an existing <namespace>-docker is kept: the 409 is "already there", not an error (create, never list-then-create)', async () => {
    const api = new FakeKubernetesApi();
    api.secrets.set('foo/foo-docker', { metadata: { name: 'foo-docker', namespace: 'foo' } });
    await withVariables({ PREFECT__CONTEXT__NAMESPACE: 'foo', PREFECT__CONTEXT__SECRETS__DOCKER_REGISTRY_CREDENTIALS: credentials }, () => create({ privateRegistry: true }, api).setup(storage));
    expect(api.calls.map((call) => call.method)).toEqual(['createSecret']);
    expect(api.secrets.get('foo/foo-docker')).toEqual({ metadata: { name: 'foo-docker', namespace: 'foo' } });
  });

  it('a missing credentials secret and a 403 are errors that say what to do', async () => {
    await withVariables({ PREFECT__CONTEXT__SECRETS__DOCKER_REGISTRY_CREDENTIALS: undefined }, async () => {
      await expect(create({ privateRegistry: true }).setup(storage)).rejects.toThrow('PREFECT__CONTEXT__SECRETS__DOCKER_REGISTRY_CREDENTIALS');
    });
    const api = new FakeKubernetesApi().fail('createSecret', apiError(403, { reason: 'Forbidden', message: 'no' }));
    await withVariables({ PREFECT__CONTEXT__SECRETS__DOCKER_REGISTRY_CREDENTIALS: credentials }, async () => {
      await expect(create({ privateRegistry: true }, api).setup(storage)).rejects.toThrow(/secrets/);
    });
  });
});

describe('DaskKubernetesEnvironment: execute and render (spec 8.7.11–8.7.15)', () => {
  it('8.7.11 a storage without an image is refused', async () => {
    await expect(create().execute(new LocalStorage(), 'flow.ts')).rejects.toMatchObject({ code: 'STORAGE_NOT_SUPPORTED' });
  });

  it('8.7.12 an image storage without a name is refused', async () => {
    await expect(create().execute(new ImageStorage(''), 'flow.ts')).rejects.toMatchObject({ code: 'STORAGE_INVALID' });
  });

  it('8.7.13 / 8.7.14 creates the batch/v1 scheduler Job with the storage image, and returns a handle on it', async () => {
    const api = new FakeKubernetesApi('flows');
    const handle = await withVariables({ PREFECT__CLOUD__AUTH_TOKEN: undefined }, () => create({}, api).execute(storage, 'test4'));
    const [call] = api.callsOf('createJob');
    const job = call?.body as V1Job;
    expect(call?.namespace).toBe('flows');
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.spec?.template.spec?.containers[0]?.image).toBe('test1/test2:test3');
    expect(api.callsOf('createSecret')).toEqual([]);
    expect(typeof handle.wait).toBe('function');
    expect(typeof handle.cancel).toBe('function');
  });

  it('a configured token goes into the run\'s Secret, owned by the Job; the Job only references it', async () => {
    const api = new FakeKubernetesApi();
    await withVariables({ PREFECT__CLOUD__AUTH_TOKEN: 'secret-token-value' }, () => create({}, api).execute(storage, 'test4'));
    const job = api.callsOf('createJob')[0]?.body as V1Job;
    expect(JSON.stringify(job)).not.toContain('secret-token-value');
    expect(api.callsOf('createSecret')).toHaveLength(1);
  });

  it('8.7.15 test_create_flow_run_job_fails_outside_cluster: no cluster configuration is an error', async () => {
    const environment = new DaskKubernetesEnvironment({ kubeConfig: '/nowhere/kubeconfig' });
    await expect(environment.execute(storage, 'test4')).rejects.toBeInstanceOf(Error);
  });

  it('render returns the scheduler Job and one worker Pod, without calling the cluster', async () => {
    const api = new FakeKubernetesApi();
    const documents = await withVariables({ PREFECT__CLOUD__AUTH_TOKEN: undefined }, () => create({ privateRegistry: true, namespace: 'flows' }, api).render(storage, 'test4'));
    expect(documents.map((document) => document.kind)).toEqual(['Job', 'Pod']);
    expect((documents[1]?.document as V1Pod).spec?.imagePullSecrets).toEqual([{ name: 'flows-docker' }]);
    expect(api.calls).toEqual([]);
  });
});

describe('DaskKubernetesEnvironment: runFlow (spec 8.7.16, 8.7.17)', () => {
  it('8.7.16 runs the flow with the executor at the scheduler\'s address, starts worker pods and deletes them all before onExit', async () => {
    const api = new FakeKubernetesApi();
    const events: string[] = [];
    const holder = globalThis as { flowenvK8sBody?: () => void };
    holder.flowenvK8sBody = () => void events.push(`body with ${api.pods.size} worker pod(s)`);
    recordedExecutorOptions.length = 0;
    const environment = create({ createExecutor: recordingExecutor, startScheduler: fakeScheduler(events), onExit: () => void events.push(`exit with ${api.pods.size} pod(s)`) }, api);
    try {
      const result = await withVariables(jobVariables(fixture('mark-body-flow.ts')), () => environment.runFlow());
      expect(result.state).toBe('Success');
    } finally {
      delete holder.flowenvK8sBody;
    }
    expect(events).toEqual(['scheduler started', 'body with 1 worker pod(s)', 'scheduler closed', 'exit with 0 pod(s)']);
    expect(recordedExecutorOptions).toEqual([{ address: 'tcp://127.0.0.1:40123' }]);
    const pod = api.callsOf('createPod')[0]?.body as V1Pod;
    expect(api.callsOf('createPod')[0]?.namespace).toBe('flows');
    expect(pod.metadata?.labels?.['prefect.io/identifier']).toBe(identifier);
    expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Pod', name: 'prefect-dask-job-x-abcde', uid: 'uid-scheduler' });
    expect(pod.spec?.containers[0]?.image).toBe('test1/test2:test3');
    expect(pod.spec?.containers[0]?.env).toContainEqual({ name: 'DASK_SCHEDULER_ADDRESS', value: 'tcp://10.1.2.3:40123' });
    expect(api.callsOf('deletePod')).toHaveLength(1);
  });

  it('scales between minWorkers and maxWorkers by unfinished tasks, never above maxWorkers', async () => {
    const api = new FakeKubernetesApi();
    const seen: number[] = [];
    const holder = globalThis as { flowenvK8sBody?: () => Promise<void> };
    holder.flowenvK8sBody = async () => {
      seen.push(api.pods.size);
      await new Promise((resolve) => setTimeout(resolve, 30));
    };
    const environment = create({ createExecutor: recordingExecutor, startScheduler: fakeScheduler([]), minWorkers: 1, maxWorkers: 2, adaptIntervalMs: 5 }, api);
    try {
      await withVariables(jobVariables(fixture('three-task-flow.ts')), () => environment.runFlow());
    } finally {
      delete holder.flowenvK8sBody;
    }
    expect(Math.max(...seen)).toBe(2);
    expect(api.callsOf('createPod')).toHaveLength(2);
    expect(api.pods.size).toBe(0);
  });

  it('8.7.17 a failing flow still tears down, then onExit runs, and the error propagates', async () => {
    const api = new FakeKubernetesApi();
    const events: string[] = [];
    const environment = create({ createExecutor: recordingExecutor, startScheduler: fakeScheduler(events), onStart: () => void events.push('start'), onExit: () => void events.push(`exit with ${api.pods.size} pod(s)`) }, api);
    await expect(withVariables(jobVariables(fixture('no-such-flow.ts')), () => environment.runFlow())).rejects.toThrow();
    // The flow could not load: nothing was started, onExit still ran.
    expect(events).toEqual(['start', 'exit with 0 pod(s)']);
  });
});

describe('DaskKubernetesEnvironment: runFlow failures', () => {
  it('worker pods that cannot be created fail the run (no waiting for workers forever) and the scheduler is stopped', async () => {
    const api = new FakeKubernetesApi().fail('createPod', apiError(403, { reason: 'Forbidden', message: 'pods is forbidden' }));
    const events: string[] = [];
    const environment = create({ createExecutor: recordingExecutor, startScheduler: fakeScheduler(events) }, api);
    await expect(withVariables(jobVariables(fixture('mark-body-flow.ts')), () => environment.runFlow())).rejects.toThrow(/pods/);
    expect(events).toEqual(['scheduler started', 'scheduler closed']);
  });
});

describeEnvironmentConformance({
  environmentClass: DaskKubernetesEnvironment,
  create: (options) => new DaskKubernetesEnvironment({ ...options, api: new FakeKubernetesApi(), createExecutor: recordingExecutor, startScheduler: fakeScheduler([]) }),
  dependencies: ['@kubernetes/client-node', '@flowenv/dask'],
  runWithHooks: async (created, markBody) => {
    const holder = globalThis as { flowenvK8sBody?: () => void };
    holder.flowenvK8sBody = markBody;
    try {
      return await withVariables(jobVariables(fixture('mark-body-flow.ts')), () => created.runFlow());
    } finally {
      delete holder.flowenvK8sBody;
    }
  },
  setupStorage: () => new ImageStorage(),
});
