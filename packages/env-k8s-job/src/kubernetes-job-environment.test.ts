import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentRegistry, FLOW_EXECUTE_COMMAND, FlowenvError, LocalStorage, setLogSink, type LogRecord } from '@flowenv/core';
import { describeEnvironmentConformance } from '@flowenv/core/testing';
import type { V1Job, V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { apiError, FakeKubernetesApi } from './__fixtures__/fake-kubernetes-api.js';
import { ImageStorage } from './__fixtures__/image-storage.js';
import { recordedExecutorOptions } from './__fixtures__/recording-executor.js';
import { KubernetesJobEnvironment } from './kubernetes-job-environment.js';
import type { KubernetesJobEnvironmentOptions } from './kubernetes-job-options.js';

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
const markBodyFlowPath = fixture('mark-body-flow.ts');
const secretFlowPath = fixture('secret-flow.ts');
const recordingExecutorPath = fixture('recording-executor.ts');
const storage = new ImageStorage('test1/test2:test3');
/** No token, no context: what a bare process has. */
const bare = { PREFECT__CLOUD__AUTH_TOKEN: undefined, PREFECT__CONTEXT__NAMESPACE: undefined, PREFECT__CONTEXT__FLOW_RUN_ID: undefined };

function environment(options: KubernetesJobEnvironmentOptions = {}, api = new FakeKubernetesApi()) {
  return { environment: new KubernetesJobEnvironment({ jobSpecFile: fixture('prefect-0.11-job.yaml'), api, ...options }), api };
}

function errorOf(action: () => unknown): FlowenvError {
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

const createdJob = (api: FakeKubernetesApi): V1Job => api.callsOf('createJob')[0]?.body as V1Job;

describe('KubernetesJobEnvironment: the original 0.11 tests (spec 8.6)', () => {
  it('8.6.1 stores the absolute spec path and the defaults (uniqueJobName: true, 0.11 false)', () => {
    const path = relative(process.cwd(), fixture('prefect-0.11-job.yaml'));
    const created = new KubernetesJobEnvironment({ jobSpecFile: path });
    expect(created.jobSpecFile).toBe(fixture('prefect-0.11-job.yaml'));
    expect(created.uniqueJobName).toBe(true);
    expect(created.executorOptions).toEqual({});
    expect(created.labels).toEqual(new Set());
    expect(created.onStart).toBeUndefined();
    expect(created.onExit).toBeUndefined();
    expect(created.logger.name).toBe('flowenv.KubernetesJobEnvironment');
    expect(created.stuckTimeoutSeconds).toBe(120);
  });

  it('8.6.2-4 stores executor options, labels and hooks', () => {
    const hook = (): void => {};
    const created = new KubernetesJobEnvironment({ executorOptions: { test: 'here' }, labels: ['foo'], onStart: hook, onExit: hook });
    expect(created.executorOptions).toEqual({ test: 'here' });
    expect(created.labels).toEqual(new Set(['foo']));
    expect(created.onStart).toBe(hook);
    expect(created.onExit).toBe(hook);
  });

  it('8.6.5 depends on the Kubernetes SDK and needs no spec file', () => {
    const created = new KubernetesJobEnvironment();
    expect(created.dependencies).toEqual(['@kubernetes/client-node']);
    expect(created.jobSpecFile).toBeUndefined();
    expect(created.jobSpec.metadata?.name).toBe('prefect-job');
  });

  it('8.6.6/7/20 gives every execute its own identifier, which is not part of the persisted form', async () => {
    await withVariables(bare, async () => {
      const { environment: created, api } = environment();
      await created.execute(storage, '/opt/prefect/flows/f.mjs');
      await created.execute(storage, '/opt/prefect/flows/f.mjs');
      const identifiers = api.callsOf('createJob').map((call) => (call.body as V1Job).metadata?.labels?.['prefect.io/identifier']);
      expect(identifiers[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(identifiers[1]).toMatch(/^[0-9a-f-]{36}$/);
      expect(identifiers[0]).not.toBe(identifiers[1]);
      expect(JSON.stringify(created.serialize())).not.toContain(identifiers[0]);
    });
  });

  it('8.6.8 setup does nothing', async () => {
    const { environment: created, api } = environment();
    await created.setup(storage);
    expect(api.calls).toEqual([]);
  });

  it('8.6.9 refuses a storage without an image (0.11: TypeError)', async () => {
    const { environment: created } = environment();
    const error = await rejectionOf(created.execute(new LocalStorage(), ''));
    expect(error.code).toBe('STORAGE_NOT_SUPPORTED');
    expect(error.message).toBe('KubernetesJobEnvironment runs flows from a container image, but LocalStorage has none: use DockerStorage (@flowenv/storage-docker)');
  });

  it('8.6.10 refuses an image storage without a name (0.11: ValueError)', async () => {
    const { environment: created } = environment();
    expect((await rejectionOf(created.execute(new ImageStorage(''), ''))).code).toBe('STORAGE_INVALID');
  });

  it('8.6.11/12 creates a batch/v1 Job running the storage image', async () => {
    await withVariables(bare, async () => {
      const { environment: created, api } = environment();
      await created.execute(storage, '/opt/prefect/flows/f.mjs');
      const job = createdJob(api);
      expect(job.apiVersion).toBe('batch/v1');
      expect(job.spec?.template.spec?.containers[0]).toMatchObject({ image: 'test1/test2:test3', command: [...FLOW_EXECUTE_COMMAND] });
    });
  });

  it('8.6.13 fails clearly when no cluster is configured at all (0.11: whenever not inside a cluster)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'flowenv-home-'));
    await withVariables({ ...bare, KUBECONFIG: undefined, KUBERNETES_SERVICE_HOST: undefined, HOME: home }, async () => {
      const created = new KubernetesJobEnvironment();
      const error = await rejectionOf(created.execute(storage, '/opt/prefect/flows/f.mjs'));
      expect(error.code).toBe('K8S_CONFIG_INVALID');
    });
  });

  it('8.6.14 runFlow loads the flow from the context path and builds the executor with executorOptions', async () => {
    recordedExecutorOptions.length = 0;
    const created = new KubernetesJobEnvironment({ executorOptions: { test: 'here' } });
    const result = await withVariables(
      { PREFECT__CONTEXT__FLOW_FILE_PATH: markBodyFlowPath, PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS: `${recordingExecutorPath}#RecordingExecutor`, PREFECT__CONTEXT__FLOW_RUN_ID: 'run-7' },
      () => created.runFlow(),
    );
    expect(result.flowName).toBe('mark-body');
    expect(result.state).toBe('Success');
    expect(recordedExecutorOptions).toEqual([{ test: 'here' }]);
  });

  it('8.6.19 reads the spec once, at construction', () => {
    const directory = mkdtempSync(join(tmpdir(), 'flowenv-spec-'));
    const path = join(directory, 'job.yaml');
    copyFileSync(fixture('prefect-0.11-job.yaml'), path);
    const created = new KubernetesJobEnvironment({ jobSpecFile: path });
    writeFileSync(path, 'job\n');
    expect(created.jobSpec.metadata?.name).toBe('prefect-dask-job');
  });
});

describe('KubernetesJobEnvironment: options', () => {
  it('rejects bad options with the field path', () => {
    for (const [options, field] of [
      [{ namespace: 'Not_Valid' }, '`namespace`'],
      [{ uniqueJobName: 'yes' }, '`uniqueJobName`'],
      [{ stuckTimeoutSeconds: -1 }, '`stuckTimeoutSeconds`'],
      [{ authTokenSecretName: 'Bad Name' }, '`authTokenSecretName`'],
      [{ kubeConfig: 42 }, '`kubeConfig`'],
      [{ jobSpec: {} }, 'Unrecognized key: "jobSpec"'],
    ] as const) {
      const error = errorOf(() => new KubernetesJobEnvironment(options as unknown as KubernetesJobEnvironmentOptions));
      expect(error.code).toBe('OPTIONS_INVALID');
      expect(error.message).toContain(field);
    }
  });

  it('names a missing spec file when execute or render needs it: the flow image loads the module without the file', async () => {
    const created = new KubernetesJobEnvironment({ jobSpecFile: '/nowhere/job.yaml', api: new FakeKubernetesApi() });
    expect(created.jobSpecFile).toBe('/nowhere/job.yaml');
    expect(errorOf(() => created.jobSpec).message).toContain('cannot read `jobSpecFile` /nowhere/job.yaml: ENOENT');
    const error = await rejectionOf(created.render(storage, '/f.mjs'));
    expect(error.code).toBe('OPTIONS_INVALID');
    expect(error.message).toContain('cannot read `jobSpecFile` /nowhere/job.yaml');
    // What runs in the image works without it.
    const result = await withVariables({ PREFECT__CONTEXT__FLOW_FILE_PATH: markBodyFlowPath, PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS: undefined }, () => created.runFlow());
    expect(result.state).toBe('Success');
  });

  it('rejects a spec file that exists but is not a Job at construction', () => {
    const error = errorOf(() => new KubernetesJobEnvironment({ jobSpecFile: fixture('not-a-job.yaml') }));
    expect(error.code).toBe('OPTIONS_INVALID');
    expect(error.message).toContain('not a Kubernetes Job manifest');
  });

  it('serializes labels only, and loads back', () => {
    const created = new KubernetesJobEnvironment({ jobSpecFile: fixture('prefect-0.11-job.yaml'), labels: ['b', 'a'], executorOptions: { x: 1 } });
    const serialized = created.serialize();
    expect(serialized).toEqual({ labels: ['a', 'b'], __version__: expect.any(String), type: 'KubernetesJobEnvironment' });
    const loaded = new EnvironmentRegistry([KubernetesJobEnvironment]).deserialize(JSON.parse(JSON.stringify(serialized)));
    expect(loaded).toBeInstanceOf(KubernetesJobEnvironment);
    expect((loaded as KubernetesJobEnvironment).jobSpecFile).toBeUndefined();
  });
});

describe('KubernetesJobEnvironment: execute', () => {
  it('returns a handle on the Job, in the namespace of the context, with the flow run id', async () => {
    await withVariables({ ...bare, PREFECT__CONTEXT__NAMESPACE: 'flows', PREFECT__CONTEXT__FLOW_RUN_ID: 'run-42' }, async () => {
      const { environment: created, api } = environment();
      const handle = await created.execute(storage, '/opt/prefect/flows/f.mjs', { parameters: { who: 'Ada' } });
      const job = createdJob(api);
      expect(api.callsOf('createJob')[0]?.namespace).toBe('flows');
      expect(handle.kind).toBe('kubernetes-job');
      expect(handle.id).toBe(job.metadata?.name);
      expect(handle.details).toMatchObject({ namespace: 'flows', job: job.metadata?.name, uid: expect.stringMatching(/^uid-/) });
      expect(job.metadata?.labels?.['prefect.io/flow_run_id']).toBe('run-42');
      const env = job.spec?.template.spec?.containers[0]?.env ?? [];
      expect(env).toContainEqual({ name: 'PREFECT__CONTEXT__NAMESPACE', value: 'flows' });
      expect(env).toContainEqual({ name: 'PREFECT__CONTEXT__PARAMETERS', value: "{'who': 'Ada'}" });
      expect(env).toContainEqual({ name: 'PREFECT__CONTEXT__IDENTIFIER', value: handle.details['identifier'] });
      expect(api.callsOf('createSecret')).toEqual([]);
    });
  });

  it("falls back to the kubeconfig context's namespace, then default", async () => {
    await withVariables(bare, async () => {
      const { environment: created, api } = environment({}, new FakeKubernetesApi('team-a'));
      await created.execute(storage, '/f.mjs');
      expect(createdJob(api).metadata?.namespace).toBe('team-a');
      const plain = environment();
      await plain.environment.execute(storage, '/f.mjs');
      expect(createdJob(plain.api).metadata?.namespace).toBe('default');
    });
  });

  it('puts a configured token into a per-run Secret owned by the Job, never into the Job, and masks it', async () => {
    const token = 'tok-0123456789abcdef';
    const records: LogRecord[] = [];
    const restore = setLogSink((record) => records.push(record));
    try {
      await withVariables({ ...bare, PREFECT__CLOUD__AUTH_TOKEN: token }, async () => {
        const { environment: created, api } = environment();
        const handle = await created.execute(storage, '/f.mjs');
        expect(api.calls.map((call) => call.method)).toEqual(['createSecret', 'createJob', 'patchSecret']);
        const secret = api.callsOf('createSecret')[0]?.body as V1Secret;
        const secretName = `flowenv-auth-${handle.details['identifier']}`;
        expect(secret.metadata?.name).toBe(secretName);
        expect(secret.stringData).toEqual({ 'auth-token': token });
        const job = createdJob(api);
        expect(JSON.stringify(job)).not.toContain(token);
        expect(job.spec?.template.spec?.containers[0]?.env?.[1]).toEqual({ name: 'PREFECT__CLOUD__AUTH_TOKEN', valueFrom: { secretKeyRef: { name: secretName, key: 'auth-token' } } });
        expect(api.secrets.get(`default/${secretName}`)?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name: job.metadata?.name, uid: handle.details['uid'] });
        created.logger.info(`token is ${token}`);
      });
    } finally {
      restore();
    }
    expect(records.map((record) => record.message).join('\n')).not.toContain(token);
  });

  it('writes the token into a named Secret when given one, and only references it when no token is configured', async () => {
    await withVariables({ ...bare, PREFECT__CLOUD__AUTH_TOKEN: 'tok-named-secret' }, async () => {
      const { environment: created, api } = environment({ authTokenSecretName: 'prefect-token', authTokenSecretKey: 'token' });
      await created.execute(storage, '/f.mjs');
      await created.execute(storage, '/f.mjs');
      expect(api.secrets.get('default/prefect-token')?.metadata?.ownerReferences).toBeUndefined();
      expect(api.callsOf('patchSecret')).toHaveLength(1);
      expect(createdJob(api).spec?.template.spec?.containers[0]?.env?.[1]).toEqual({ name: 'PREFECT__CLOUD__AUTH_TOKEN', valueFrom: { secretKeyRef: { name: 'prefect-token', key: 'token' } } });
    });
    await withVariables(bare, async () => {
      const { environment: created, api } = environment({ authTokenSecretName: 'managed-elsewhere' });
      await created.execute(storage, '/f.mjs');
      expect(api.calls.map((call) => call.method)).toEqual(['createJob']);
      expect(createdJob(api).spec?.template.spec?.containers[0]?.env?.[1]?.valueFrom).toEqual({ secretKeyRef: { name: 'managed-elsewhere', key: 'auth-token' } });
    });
  });

  it("deletes the run's Secret when the Job cannot be created, and logs the failure", async () => {
    const records: LogRecord[] = [];
    const restore = setLogSink((record) => records.push(record));
    try {
      await withVariables({ ...bare, PREFECT__CLOUD__AUTH_TOKEN: 'tok-job-fails' }, async () => {
        const api = new FakeKubernetesApi().fail('createJob', apiError(422, { reason: 'Invalid', details: { causes: [{ field: 'spec.template.spec.containers[0].image', message: 'Required value' }] } }));
        const { environment: created } = environment({}, api);
        const error = await rejectionOf(created.execute(storage, '/f.mjs'));
        expect(error.code).toBe('K8S_INVALID');
        expect(error.message).toContain('spec.template.spec.containers[0].image: Required value');
        expect(api.secrets.size).toBe(0);
      });
    } finally {
      restore();
    }
    expect(records.find((record) => record.level === 'critical')?.message).toMatch(/^Failed to create Kubernetes job: FlowenvError: Kubernetes rejected the Job/);
  });
});

describe('KubernetesJobEnvironment: render', () => {
  it('shows the Job execute would submit, and the Secret without its data, without calling the cluster', async () => {
    await withVariables({ ...bare, PREFECT__CLOUD__AUTH_TOKEN: 'tok-render-only' }, async () => {
      const { environment: created, api } = environment({}, new FakeKubernetesApi('team-a'));
      const documents = await created.render(storage, '/opt/prefect/flows/f.mjs');
      expect(api.calls).toEqual([]);
      expect(documents.map((document) => document.kind)).toEqual(['Secret', 'Job']);
      expect(JSON.stringify(documents)).not.toContain('tok-render-only');
      const [secret, job] = documents.map((document) => document.document) as [V1Secret, V1Job];
      expect(secret.stringData).toBeUndefined();
      expect(job.metadata?.namespace).toBe('team-a');
      expect(job.spec?.template.spec?.containers[0]?.env?.[1]?.valueFrom).toEqual({ secretKeyRef: { name: secret.metadata?.name, key: 'auth-token' } });

      await created.execute(storage, '/opt/prefect/flows/f.mjs');
      const submitted = createdJob(api);
      const identifierOf = (value: V1Job): string => value.metadata?.labels?.['prefect.io/identifier'] ?? '';
      const normalize = (value: V1Job): string => JSON.stringify(value).split(identifierOf(value)).join('<id>').split(identifierOf(value).slice(0, 8)).join('<id8>');
      expect(normalize(submitted)).toBe(normalize(job));
    });
  });

  it('renders the Job alone when no token is configured', async () => {
    await withVariables(bare, async () => {
      const { environment: created } = environment();
      expect((await created.render(storage, '/f.mjs')).map((document) => document.kind)).toEqual(['Job']);
    });
  });
});

describe('KubernetesJobEnvironment: runFlow', () => {
  it('fetches storage secrets by name into the context (0.11.0 crashed on them, spec §9.1)', async () => {
    const result = await withVariables(
      { PREFECT__CONTEXT__FLOW_FILE_PATH: secretFlowPath, PREFECT__CONTEXT__SECRETS__API_KEY: 'k-123', PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS: undefined },
      () => new KubernetesJobEnvironment().runFlow(),
    );
    expect(result.state).toBe('Success');
    expect(result.tasks['read']?.result).toBe('k-123');
    const records: LogRecord[] = [];
    const restore = setLogSink((record) => records.push(record));
    try {
      const missing = await withVariables({ PREFECT__CONTEXT__FLOW_FILE_PATH: secretFlowPath, PREFECT__CONTEXT__SECRETS__API_KEY: undefined }, () =>
        rejectionOf(new KubernetesJobEnvironment().runFlow()));
      expect(missing.code).toBe('SECRET_NOT_FOUND');
    } finally {
      restore();
    }
    expect(records.map((record) => record.message)).toEqual([expect.stringMatching(/^Unexpected error raised during flow run: FlowenvError: The flow's storage needs secret "API_KEY"/)]);
  });
});

describeEnvironmentConformance({
  environmentClass: KubernetesJobEnvironment,
  create: (options) => new KubernetesJobEnvironment({ ...options, api: new FakeKubernetesApi() }),
  dependencies: ['@kubernetes/client-node'],
  runWithHooks: async (created, markBody) => {
    const holder = globalThis as { flowenvK8sBody?: () => void };
    holder.flowenvK8sBody = markBody;
    try {
      return await withVariables({ PREFECT__CONTEXT__FLOW_FILE_PATH: markBodyFlowPath, PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS: undefined }, () => created.runFlow());
    } finally {
      delete holder.flowenvK8sBody;
    }
  },
  setupStorage: () => new ImageStorage(),
});
