import { fileURLToPath } from 'node:url';
import { FLOW_EXECUTE_COMMAND } from '@flowenv/core';
import type { V1Container, V1EnvVar, V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildSchedulerJob, type SchedulerJobInput } from './build-scheduler-job.js';
import { defaultSchedulerSpec, loadDaskSpec } from './load-dask-spec.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));
const identifier = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';

/** The values of spec 8.7.18 (gql_test, auth_test, id_test, namespace_test, test1/test2:test3, test4, test_logger). */
const input: SchedulerJobInput = {
  image: 'test1/test2:test3',
  flowFilePath: 'test4',
  namespace: 'namespace-test',
  identifier,
  flowRunId: 'id_test',
  graphqlUrl: 'gql_test',
  authTokenSecret: { name: `flowenv-auth-${identifier}`, key: 'auth-token' },
  extraLoggers: ['test_logger'],
  logToCloud: false,
  workStealing: true,
  schedulerLogs: true,
  privateRegistry: false,
  template: 'default',
};

const flowContainer = (job: V1Job): V1Container => job.spec?.template.spec?.containers[0] as V1Container;
const envOf = (job: V1Job): V1EnvVar[] => flowContainer(job).env ?? [];
const valueOf = (job: V1Job, name: string): unknown => envOf(job).find((variable) => variable.name === name);

describe('buildSchedulerJob: the original 0.11 tests (spec 8.7)', () => {
  it('8.7.14 test_create_flow_run_job: the default Job is batch/v1', () => {
    const job = buildSchedulerJob(defaultSchedulerSpec(), input);
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.kind).toBe('Job');
  });

  it('8.7.18 test_populate_job_yaml: name, labels, the 16 variables in 0.11 order, image, command', async () => {
    const job = buildSchedulerJob(defaultSchedulerSpec(), input);
    expect(job.metadata?.name).toBe(`prefect-dask-job-${identifier}`);
    expect(job.metadata?.namespace).toBe('namespace-test');
    for (const labels of [job.metadata?.labels, job.spec?.template.metadata?.labels]) {
      expect(labels).toMatchObject({ app: 'prefect-dask-job', 'prefect.io/identifier': identifier, 'prefect.io/flow_run_id': 'id_test' });
    }
    const env = envOf(job);
    expect(env.slice(0, 16).map((variable) => variable.name)).toEqual([
      'PREFECT__CLOUD__GRAPHQL',
      'PREFECT__CLOUD__AUTH_TOKEN',
      'PREFECT__CONTEXT__FLOW_RUN_ID',
      'PREFECT__CONTEXT__NAMESPACE',
      'PREFECT__CONTEXT__IMAGE',
      'PREFECT__CONTEXT__FLOW_FILE_PATH',
      'PREFECT__CLOUD__USE_LOCAL_SECRETS',
      'PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS',
      'PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS',
      'PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS',
      'PREFECT__LOGGING__LOG_TO_CLOUD',
      'PREFECT__LOGGING__LEVEL',
      'PREFECT__DEBUG',
      'DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING',
      'DASK_DISTRIBUTED__SCHEDULER__BLOCKED_HANDLERS',
      'PREFECT__LOGGING__EXTRA_LOGGERS',
    ]);
    expect(env[0]).toEqual({ name: 'PREFECT__CLOUD__GRAPHQL', value: 'gql_test' });
    // 0.11 wrote "auth_test" as plain text; flowenv references the run's Secret.
    expect(env[1]).toEqual({ name: 'PREFECT__CLOUD__AUTH_TOKEN', valueFrom: { secretKeyRef: { name: `flowenv-auth-${identifier}`, key: 'auth-token' } } });
    expect(env[2]).toEqual({ name: 'PREFECT__CONTEXT__FLOW_RUN_ID', value: 'id_test' });
    expect(env[3]).toEqual({ name: 'PREFECT__CONTEXT__NAMESPACE', value: 'namespace-test' });
    expect(env[4]).toEqual({ name: 'PREFECT__CONTEXT__IMAGE', value: 'test1/test2:test3' });
    expect(env[5]).toEqual({ name: 'PREFECT__CONTEXT__FLOW_FILE_PATH', value: 'test4' });
    expect(env[9]).toEqual({ name: 'PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS', value: '@flowenv/dask#DaskExecutor' });
    expect(env[13]).toEqual({ name: 'DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING', value: 'True' });
    expect(env[15]).toEqual({
      name: 'PREFECT__LOGGING__EXTRA_LOGGERS',
      value: "['test_logger', 'dask_kubernetes.core', 'distributed.deploy.adaptive', 'kubernetes', 'distributed.scheduler']",
    });
    // After the 16 slots: the shared identifier (§9.3), then the pod's own name, uid and IP.
    expect(env.slice(16)).toEqual([
      { name: 'PREFECT__CONTEXT__IDENTIFIER', value: identifier },
      { name: 'PREFECT__CONTEXT__POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'PREFECT__CONTEXT__POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'PREFECT__CONTEXT__POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    ]);
    expect(flowContainer(job).image).toBe('test1/test2:test3');
    expect(flowContainer(job).command).toEqual([...FLOW_EXECUTE_COMMAND]);
    expect(job.spec?.template.spec?.imagePullSecrets).toBeUndefined();
    await expect(stringify(job)).toMatchFileSnapshot('./__golden__/default-scheduler-job.yaml');
  });

  it('8.7.18 work stealing off is "False" (capitalised, as Dask reads it)', () => {
    const job = buildSchedulerJob(defaultSchedulerSpec(), { ...input, workStealing: false, schedulerLogs: false });
    expect(valueOf(job, 'DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING')).toEqual({ name: 'DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING', value: 'False' });
    expect(valueOf(job, 'PREFECT__LOGGING__EXTRA_LOGGERS')).toEqual({
      name: 'PREFECT__LOGGING__EXTRA_LOGGERS',
      value: "['test_logger', 'dask_kubernetes.core', 'distributed.deploy.adaptive', 'kubernetes']",
    });
  });

  for (const logFlag of [true, false]) {
    it(`8.7.23 test_populate_custom_scheduler_spec_yaml[log_flag=${logFlag}]: name, the 12 variables merged by name, image, command`, async () => {
      const spec = loadDaskSpec('scheduler', fixture('custom-scheduler.yaml'));
      const job = buildSchedulerJob(spec, { ...input, logToCloud: logFlag, template: 'custom' });
      expect(job.metadata?.name).toBe(`prefect-dask-job-${identifier}`);
      expect(job.metadata?.labels).toMatchObject({ team: 'data', 'prefect.io/identifier': identifier, 'prefect.io/flow_run_id': 'id_test' });
      const env = envOf(job);
      // The user's variables first; the user's EXTRA_LOGGERS (configuration) stays, the run id (run identity) is replaced.
      expect(env.map((variable) => variable.name)).toEqual([
        'MY_SETTING',
        'PREFECT__LOGGING__EXTRA_LOGGERS',
        'PREFECT__CLOUD__GRAPHQL',
        'PREFECT__CLOUD__AUTH_TOKEN',
        'PREFECT__CONTEXT__FLOW_RUN_ID',
        'PREFECT__CONTEXT__NAMESPACE',
        'PREFECT__CONTEXT__IMAGE',
        'PREFECT__CONTEXT__FLOW_FILE_PATH',
        'PREFECT__CLOUD__USE_LOCAL_SECRETS',
        'PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS',
        'PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS',
        'PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS',
        'PREFECT__LOGGING__LOG_TO_CLOUD',
        'PREFECT__CONTEXT__IDENTIFIER',
        'PREFECT__CONTEXT__POD_NAME',
        'PREFECT__CONTEXT__POD_UID',
        'PREFECT__CONTEXT__POD_IP',
      ]);
      expect(valueOf(job, 'PREFECT__LOGGING__EXTRA_LOGGERS')).toEqual({ name: 'PREFECT__LOGGING__EXTRA_LOGGERS', value: "['mine']" });
      expect(valueOf(job, 'PREFECT__CONTEXT__FLOW_RUN_ID')).toEqual({ name: 'PREFECT__CONTEXT__FLOW_RUN_ID', value: 'id_test' });
      expect(valueOf(job, 'PREFECT__LOGGING__LOG_TO_CLOUD')).toEqual({ name: 'PREFECT__LOGGING__LOG_TO_CLOUD', value: String(logFlag) });
      expect(valueOf(job, 'DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING')).toBeUndefined();
      expect(flowContainer(job).image).toBe('test1/test2:test3');
      // 0.11 left a custom spec's command alone (issue #3401): the container would not run the flow.
      expect(flowContainer(job).command).toEqual([...FLOW_EXECUTE_COMMAND]);
      expect(flowContainer(job).args).toBeUndefined();
      await expect(stringify(job)).toMatchFileSnapshot(`./__golden__/custom-scheduler-job-log-${logFlag}.yaml`);
    });
  }
});

describe('buildSchedulerJob: the port\'s fixes', () => {
  it('adds <namespace>-docker to imagePullSecrets with privateRegistry, custom specs too (0.11 skipped them)', () => {
    const defaultJob = buildSchedulerJob(defaultSchedulerSpec(), { ...input, privateRegistry: true });
    expect(defaultJob.spec?.template.spec?.imagePullSecrets).toEqual([{ name: 'namespace-test-docker' }]);
    const custom = buildSchedulerJob(loadDaskSpec('scheduler', fixture('custom-scheduler.yaml')), { ...input, privateRegistry: true, template: 'custom' });
    expect(custom.spec?.template.spec?.imagePullSecrets).toEqual([{ name: 'my-registry' }, { name: 'namespace-test-docker' }]);
  });

  it('never changes the stored spec, so repeated runs do not pile up variables (§9.5)', () => {
    const spec = loadDaskSpec('scheduler', fixture('custom-scheduler.yaml'));
    const before = JSON.stringify(spec);
    const first = buildSchedulerJob(spec, { ...input, template: 'custom' });
    const second = buildSchedulerJob(spec, { ...input, template: 'custom' });
    expect(JSON.stringify(spec)).toBe(before);
    expect(envOf(second)).toEqual(envOf(first));
  });

  it('sends the run\'s parameters as PREFECT__CONTEXT__PARAMETERS, in Python-literal form', () => {
    const job = buildSchedulerJob(defaultSchedulerSpec(), { ...input, parameters: { who: 'Ada', count: 2 } });
    expect(valueOf(job, 'PREFECT__CONTEXT__PARAMETERS')).toEqual({ name: 'PREFECT__CONTEXT__PARAMETERS', value: "{'who': 'Ada', 'count': 2}" });
    expect(valueOf(buildSchedulerJob(defaultSchedulerSpec(), input), 'PREFECT__CONTEXT__PARAMETERS')).toBeUndefined();
  });

  it('sets the hardening defaults where the spec has none', () => {
    const job = buildSchedulerJob(defaultSchedulerSpec(), input);
    expect(job.spec?.backoffLimit).toBe(0);
    expect(job.spec?.ttlSecondsAfterFinished).toBe(86_400);
    expect(job.spec?.template.spec?.restartPolicy).toBe('Never');
  });

  it('uses "unknown" for a missing flow run id, in the labels and the variable', () => {
    const job = buildSchedulerJob(defaultSchedulerSpec(), { ...input, flowRunId: undefined, authTokenSecret: undefined });
    expect(job.metadata?.labels?.['prefect.io/flow_run_id']).toBe('unknown');
    expect(valueOf(job, 'PREFECT__CONTEXT__FLOW_RUN_ID')).toEqual({ name: 'PREFECT__CONTEXT__FLOW_RUN_ID', value: 'unknown' });
    expect(valueOf(job, 'PREFECT__CLOUD__AUTH_TOKEN')).toEqual({ name: 'PREFECT__CLOUD__AUTH_TOKEN', value: '' });
  });
});
