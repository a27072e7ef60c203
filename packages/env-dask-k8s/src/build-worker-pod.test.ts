import { fileURLToPath } from 'node:url';
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildWorkerPod, type WorkerPodInput } from './build-worker-pod.js';
import { defaultWorkerSpec, loadDaskSpec } from './load-dask-spec.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));
const identifier = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';

const input: WorkerPodInput = {
  image: 'my_image'.replace('_', '-'),
  namespace: 'foo-man',
  identifier,
  flowRunId: 'id_test',
  graphqlUrl: 'gql_test',
  authTokenSecret: { name: `flowenv-auth-${identifier}`, key: 'auth-token' },
  extraLoggers: ['test_logger'],
  logToCloud: false,
  schedulerLogs: false,
  privateRegistry: false,
  schedulerAddress: 'tcp://10.0.0.7:40123',
  owner: { name: 'prefect-dask-job-abc-xyz12', uid: 'uid-scheduler' },
  template: 'default',
};

const workerContainer = (pod: V1Pod): V1Container => pod.spec?.containers[0] as V1Container;
const envOf = (pod: V1Pod): V1EnvVar[] => workerContainer(pod).env ?? [];
const valueOf = (pod: V1Pod, name: string): unknown => envOf(pod).find((variable) => variable.name === name);

describe('buildWorkerPod: the original 0.11 tests (spec 8.7)', () => {
  it('8.7.19 test_populate_worker_pod_yaml: labels, the 12 variables in 0.11 order, image from the context', async () => {
    const pod = buildWorkerPod(defaultWorkerSpec(), input);
    expect(pod.metadata?.labels).toMatchObject({ app: 'prefect-dask-worker', 'prefect.io/identifier': identifier, 'prefect.io/flow_run_id': 'id_test' });
    const env = envOf(pod);
    expect(env.slice(0, 12).map((variable) => variable.name)).toEqual([
      'PREFECT__CLOUD__GRAPHQL',
      'PREFECT__CLOUD__AUTH_TOKEN',
      'PREFECT__CONTEXT__FLOW_RUN_ID',
      'PREFECT__CLOUD__USE_LOCAL_SECRETS',
      'PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS',
      'PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS',
      'PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS',
      'PREFECT__LOGGING__LOG_TO_CLOUD',
      'PREFECT__LOGGING__LEVEL',
      'PREFECT__DEBUG',
      'DASK_DISTRIBUTED__SCHEDULER__BLOCKED_HANDLERS',
      'PREFECT__LOGGING__EXTRA_LOGGERS',
    ]);
    expect(env[0]).toEqual({ name: 'PREFECT__CLOUD__GRAPHQL', value: 'gql_test' });
    expect(env[1]).toEqual({ name: 'PREFECT__CLOUD__AUTH_TOKEN', valueFrom: { secretKeyRef: { name: `flowenv-auth-${identifier}`, key: 'auth-token' } } });
    expect(env[2]).toEqual({ name: 'PREFECT__CONTEXT__FLOW_RUN_ID', value: 'id_test' });
    expect(env[11]).toEqual({ name: 'PREFECT__LOGGING__EXTRA_LOGGERS', value: "['test_logger', 'dask_kubernetes.core', 'distributed.deploy.adaptive', 'kubernetes']" });
    expect(env.slice(12)).toEqual([
      { name: 'PREFECT__CONTEXT__IDENTIFIER', value: identifier },
      { name: 'DASK_SCHEDULER_ADDRESS', value: 'tcp://10.0.0.7:40123' },
    ]);
    expect(workerContainer(pod).image).toBe('my-image');
    expect(workerContainer(pod).command).toEqual(['dask', 'worker']);
    expect(workerContainer(pod).args).toEqual(['--nthreads', '1', '--no-dashboard', '--death-timeout', '60']);
    expect(pod.metadata?.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Pod', name: 'prefect-dask-job-abc-xyz12', uid: 'uid-scheduler', blockOwnerDeletion: false, controller: false },
    ]);
    expect(pod.metadata?.generateName).toBe('prefect-dask-worker-6f1c2d3e-');
    expect(pod.spec?.imagePullSecrets).toBeUndefined();
    await expect(stringify(pod)).toMatchFileSnapshot('./__golden__/default-worker-pod.yaml');
  });

  it('8.7.20 test_populate_worker_pod_yaml_with_private_registry: imagePullSecrets[0] is <namespace>-docker (the assert 0.11 forgot)', () => {
    const pod = buildWorkerPod(defaultWorkerSpec(), { ...input, privateRegistry: true });
    expect(pod.spec?.imagePullSecrets?.[0]).toEqual({ name: 'foo-man-docker' });
  });

  for (const logFlag of [true, false]) {
    it(`8.7.22 test_populate_custom_worker_spec_yaml[log_flag=${logFlag}]: labels, the 9 variables, image; missing maps created`, async () => {
      const pod = buildWorkerPod(loadDaskSpec('worker', fixture('custom-worker.yaml')), { ...input, logToCloud: logFlag, template: 'custom', privateRegistry: true });
      expect(pod.metadata?.labels).toEqual({ 'prefect.io/identifier': identifier, 'prefect.io/flow_run_id': 'id_test', 'app.kubernetes.io/managed-by': 'flowenv' });
      expect(envOf(pod).map((variable) => variable.name)).toEqual([
        'PREFECT__CLOUD__GRAPHQL',
        'PREFECT__CLOUD__AUTH_TOKEN',
        'PREFECT__CONTEXT__FLOW_RUN_ID',
        'PREFECT__CLOUD__USE_LOCAL_SECRETS',
        'PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS',
        'PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS',
        'PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS',
        'PREFECT__LOGGING__LOG_TO_CLOUD',
        'PREFECT__LOGGING__EXTRA_LOGGERS',
        'PREFECT__CONTEXT__IDENTIFIER',
        'DASK_SCHEDULER_ADDRESS',
      ]);
      expect(valueOf(pod, 'PREFECT__LOGGING__LOG_TO_CLOUD')).toEqual({ name: 'PREFECT__LOGGING__LOG_TO_CLOUD', value: String(logFlag) });
      expect(workerContainer(pod).image).toBe('my-image');
      expect(workerContainer(pod).args).toEqual(['dask', 'worker', '--nthreads', '2', '--death-timeout', '60']);
      expect(pod.spec?.imagePullSecrets).toEqual([{ name: 'foo-man-docker' }]);
      await expect(stringify(pod)).toMatchFileSnapshot(`./__golden__/custom-worker-pod-log-${logFlag}.yaml`);
    });
  }

  it('never changes the stored spec, and has no owner in render (no scheduler pod yet)', () => {
    const spec = defaultWorkerSpec();
    const before = JSON.stringify(spec);
    const pod = buildWorkerPod(spec, { ...input, owner: undefined });
    expect(JSON.stringify(spec)).toBe(before);
    expect(pod.metadata?.ownerReferences).toBeUndefined();
  });
});
