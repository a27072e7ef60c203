import { fileURLToPath } from 'node:url';
import { FLOW_EXECUTE_COMMAND, FlowenvError } from '@flowenv/core';
import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildJobManifest, JOB_DEFAULTS, type JobManifestInput } from './build-job-manifest.js';
import { DEFAULT_JOB_SPEC, loadJobSpec, validateJobSpec, type JobSpec } from './load-job-spec.js';

const fixture = (name: string): JobSpec => loadJobSpec(fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url))).spec;
const identifier = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';

/** The values of spec 8.6.16 (gql_test, auth_test, id_test, namespace_test, test1/test2:test3, test4). */
const input: JobManifestInput = {
  image: 'test1/test2:test3',
  flowFilePath: 'test4',
  namespace: 'namespace_test'.replace('_', '-'),
  identifier,
  flowRunId: 'id_test',
  graphqlUrl: 'gql_test',
  extraLoggers: ['test_logger'],
  authTokenSecret: { name: `flowenv-auth-${identifier}`, key: 'auth-token' },
  uniqueJobName: true,
};

const containersOf = (job: ReturnType<typeof buildJobManifest>): V1Container[] => job.spec?.template.spec?.containers ?? [];
const envOf = (container: V1Container | undefined): V1EnvVar[] => container?.env ?? [];
const yamlOf = (value: unknown): string => stringify(value);

describe('buildJobManifest: the original 0.11 tests (spec 8.6)', () => {
  it('8.6.16 test_populate_job_yaml: unique name, labels, the variables in 0.11 order, image and command', async () => {
    const job = buildJobManifest(fixture('prefect-0.11-job.yaml'), input);
    expect(job.metadata?.name).toBe('prefect-dask-job-6f1c2d3e');
    expect(job.metadata?.name).toHaveLength(25);
    expect(job.metadata?.labels).toMatchObject({ 'prefect.io/identifier': identifier, 'prefect.io/flow_run_id': 'id_test' });
    expect(job.spec?.template.metadata?.labels).toMatchObject({ 'prefect.io/identifier': identifier, 'prefect.io/flow_run_id': 'id_test' });

    const [flow] = containersOf(job);
    const env = envOf(flow);
    expect(env[0]).toEqual({ name: 'PREFECT__CLOUD__GRAPHQL', value: 'gql_test' });
    // 0.11 wrote "auth_test" here as plain text; flowenv references the run's Secret.
    expect(env[1]).toEqual({ name: 'PREFECT__CLOUD__AUTH_TOKEN', valueFrom: { secretKeyRef: { name: `flowenv-auth-${identifier}`, key: 'auth-token' } } });
    expect(env[2]).toEqual({ name: 'PREFECT__CONTEXT__FLOW_RUN_ID', value: 'id_test' });
    expect(env[3]).toEqual({ name: 'PREFECT__CONTEXT__NAMESPACE', value: 'namespace-test' });
    expect(env[4]).toEqual({ name: 'PREFECT__CONTEXT__IMAGE', value: 'test1/test2:test3' });
    expect(env[5]).toEqual({ name: 'PREFECT__CONTEXT__FLOW_FILE_PATH', value: 'test4' });
    expect(env[10]).toEqual({ name: 'PREFECT__LOGGING__EXTRA_LOGGERS', value: "['test_logger']" });
    expect(env[11]).toEqual({ name: 'PREFECT__CONTEXT__IDENTIFIER', value: identifier });
    expect(env).toHaveLength(12);

    expect(flow?.image).toBe('test1/test2:test3');
    expect(flow?.command).toEqual([...FLOW_EXECUTE_COMMAND]);
    expect(flow?.args).toBeUndefined();
    await expect(yamlOf(job)).toMatchFileSnapshot('./__golden__/prefect-0.11-job.yaml');
  });

  it('8.6.17 test_populate_job_yaml_no_defaults: missing metadata, template metadata and container fields are created', async () => {
    const spec = validateJobSpec({ apiVersion: 'batch/v1', kind: 'Job', spec: { template: { spec: { containers: [{}] } } } }, 'inline');
    const job = buildJobManifest(spec, { ...input, extraLoggers: [] });
    expect(job.metadata?.name).toBe('prefect-job-6f1c2d3e');
    expect(job.metadata?.labels).toMatchObject({ 'prefect.io/identifier': identifier, 'prefect.io/flow_run_id': 'id_test' });
    expect(job.spec?.template.metadata?.labels).toMatchObject({ 'prefect.io/identifier': identifier, 'prefect.io/flow_run_id': 'id_test' });
    const [flow] = containersOf(job);
    const env = envOf(flow);
    expect(env.slice(0, 6).map((variable) => variable.value ?? 'secretKeyRef')).toEqual(['gql_test', 'secretKeyRef', 'id_test', 'namespace-test', 'test1/test2:test3', 'test4']);
    expect(env[10]).toEqual({ name: 'PREFECT__LOGGING__EXTRA_LOGGERS', value: '[]' });
    expect(flow).toMatchObject({ name: 'flow', image: 'test1/test2:test3', command: [...FLOW_EXECUTE_COMMAND] });
    await expect(yamlOf(job)).toMatchFileSnapshot('./__golden__/no-defaults-job.yaml');
  });

  it('8.6.18 test_populate_job_yaml_multiple_containers: every container gets the variables, only the first the image and command', () => {
    const base = fixture('prefect-0.11-job.yaml');
    const spec = validateJobSpec(
      { ...base, spec: { ...base.spec, template: { ...base.spec?.template, spec: { ...base.spec?.template.spec, containers: [base.spec?.template.spec?.containers[0], { ...base.spec?.template.spec?.containers[0], env: [] }] } } } },
      'inline',
    );
    const job = buildJobManifest(spec, input);
    const [first, second] = containersOf(job);
    expect(envOf(first)).toEqual(envOf(second));
    expect(envOf(second).map((variable) => variable.name)).toEqual([
      'PREFECT__CLOUD__GRAPHQL',
      'PREFECT__CLOUD__AUTH_TOKEN',
      'PREFECT__CONTEXT__FLOW_RUN_ID',
      'PREFECT__CONTEXT__NAMESPACE',
      'PREFECT__CONTEXT__IMAGE',
      'PREFECT__CONTEXT__FLOW_FILE_PATH',
      'PREFECT__CLOUD__USE_LOCAL_SECRETS',
      'PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS',
      'PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS',
      'PREFECT__LOGGING__LOG_TO_CLOUD',
      'PREFECT__LOGGING__EXTRA_LOGGERS',
      'PREFECT__CONTEXT__IDENTIFIER',
    ]);
    expect(first).toMatchObject({ image: 'test1/test2:test3', command: [...FLOW_EXECUTE_COMMAND] });
    expect(first?.args).toBeUndefined();
    expect(second).toMatchObject({ image: 'prefecthq/prefect:latest', command: ['/bin/sh', '-c'] });
    expect(second?.args).toEqual(['python -c "import prefect; prefect.Flow.load(prefect.context.flow_file_path).environment.run_flow()"']);
  });
});

describe('buildJobManifest: the port', () => {
  it("never changes the spec and gives the same Job for the same run (0.11 amended its stored spec, §9.5)", () => {
    const spec = fixture('prefect-0.11-job.yaml');
    const before = JSON.stringify(spec);
    const first = buildJobManifest(spec, input);
    const second = buildJobManifest(spec, input);
    expect(JSON.stringify(spec)).toBe(before);
    expect(second).toEqual(first);
    expect(envOf(containersOf(second)[0])).toHaveLength(12);
    // The result is the caller's to change; the spec stays frozen.
    first.metadata!.name = 'changed';
    expect(buildJobManifest(spec, input).metadata?.name).toBe('prefect-dask-job-6f1c2d3e');
  });

  it("merges by name into 0.11's own template: run values replace its placeholders, its configuration values stay", async () => {
    const job = buildJobManifest(fixture('prefect-0.11-job-with-env.yaml'), input);
    const env = envOf(containersOf(job)[0]);
    const names = env.map((variable) => variable.name);
    expect(new Set(names).size).toBe(names.length);
    const value = (name: string): string | undefined => env.find((variable) => variable.name === name)?.value;
    expect(value('PREFECT__CLOUD__GRAPHQL')).toBe('gql_test');
    expect(value('PREFECT__CONTEXT__IMAGE')).toBe('test1/test2:test3');
    expect(value('PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS')).toBe('@flowenv/core#FlowRunner');
    // Configuration the template sets is the user's: kept, including the placeholder it left in.
    expect(value('PREFECT__LOGGING__EXTRA_LOGGERS')).toBe('PREFECT__LOGGING__EXTRA_LOGGERS');
    expect(value('PREFECT__LOGGING__LEVEL')).toBe('DEBUG');
    expect(value('DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING')).toBe('False');
    await expect(yamlOf(job)).toMatchFileSnapshot('./__golden__/prefect-0.11-job-with-env.yaml');
  });

  it("keeps the user's hardening, generateName, other containers and unknown fields; sets the namespace", async () => {
    const job = buildJobManifest(fixture('with-sidecar-job.yaml'), { ...input, namespace: 'data', authTokenSecret: undefined, parameters: { who: 'Ada', n: 3 } });
    expect(job.metadata).toMatchObject({ generateName: 'nightly-etl-', namespace: 'data' });
    expect(job.metadata?.name).toBeUndefined();
    expect(job.metadata?.labels).toEqual({ team: 'data', 'prefect.io/identifier': identifier, 'prefect.io/flow_run_id': 'id_test', 'app.kubernetes.io/managed-by': 'flowenv' });
    expect(job.spec).toMatchObject({ backoffLimit: 2, ttlSecondsAfterFinished: 600, activeDeadlineSeconds: 3600, futureJobField: 'kept' });
    expect(job.spec?.template.spec).toMatchObject({ restartPolicy: 'OnFailure', serviceAccountName: 'etl' });
    expect(job.spec?.template.metadata?.annotations).toEqual({ 'sidecar.istio.io/inject': 'false' });
    const [etl, proxy] = containersOf(job);
    const etlEnv = envOf(etl);
    // The user's own variable first; a user value for a configuration variable wins, for a run variable ours does.
    expect(etlEnv[0]).toEqual({ name: 'LOG_LEVEL', value: 'debug' });
    expect(etlEnv.find((variable) => variable.name === 'PREFECT__LOGGING__LOG_TO_CLOUD')?.value).toBe('false');
    expect(etlEnv.filter((variable) => variable.name === 'PREFECT__CONTEXT__FLOW_RUN_ID')).toEqual([{ name: 'PREFECT__CONTEXT__FLOW_RUN_ID', value: 'id_test' }]);
    expect(etlEnv.find((variable) => variable.name === 'PREFECT__CLOUD__AUTH_TOKEN')).toEqual({ name: 'PREFECT__CLOUD__AUTH_TOKEN', value: '' });
    expect(etlEnv.at(-1)).toEqual({ name: 'PREFECT__CONTEXT__PARAMETERS', value: "{'who': 'Ada', 'n': 3}" });
    expect(etl).toMatchObject({ name: 'etl', image: 'test1/test2:test3', command: [...FLOW_EXECUTE_COMMAND], resources: { limits: { memory: '512Mi' } } });
    expect(etl?.args).toBeUndefined();
    expect(proxy).toMatchObject({ image: 'envoyproxy/envoy:v1.30', args: ['--config', '/etc/envoy.yaml'] });
    expect(envOf(proxy).some((variable) => variable.name === 'PREFECT__CONTEXT__PARAMETERS')).toBe(false);
    await expect(yamlOf(job)).toMatchFileSnapshot('./__golden__/with-sidecar-job.yaml');
  });

  it('adds the hardening defaults where the spec has none', () => {
    const job = buildJobManifest(DEFAULT_JOB_SPEC, input);
    expect(job.spec?.backoffLimit).toBe(JOB_DEFAULTS.backoffLimit);
    expect(job.spec?.ttlSecondsAfterFinished).toBe(JOB_DEFAULTS.ttlSecondsAfterFinished);
    expect(job.spec?.template.spec?.restartPolicy).toBe('Never');
    expect(job.spec?.activeDeadlineSeconds).toBeUndefined();
  });

  it('never writes a token: without a Secret the variable is empty', () => {
    const job = buildJobManifest(DEFAULT_JOB_SPEC, { ...input, authTokenSecret: undefined });
    expect(envOf(containersOf(job)[0])[1]).toEqual({ name: 'PREFECT__CLOUD__AUTH_TOKEN', value: '' });
  });

  it('keeps the name as written without uniqueJobName, and cuts long names to 63 characters', () => {
    expect(buildJobManifest(DEFAULT_JOB_SPEC, { ...input, uniqueJobName: false }).metadata?.name).toBe('prefect-job');
    const long = validateJobSpec({ ...DEFAULT_JOB_SPEC, metadata: { name: `${'a'.repeat(52)}-b-c-d-e` } }, 'inline');
    expect(buildJobManifest(long, input).metadata?.name).toBe(`${'a'.repeat(52)}-b-6f1c2d3e`);
    // A cut that ends in "." or "-" is trimmed: a DNS name segment may not end with them.
    const dotted = validateJobSpec({ ...DEFAULT_JOB_SPEC, metadata: { name: `${'a'.repeat(53)}.xyz` } }, 'inline');
    expect(buildJobManifest(dotted, input).metadata?.name).toBe(`${'a'.repeat(53)}-6f1c2d3e`);
  });

  it('labels runs without an id "unknown" and makes odd run ids valid label values', () => {
    const unknown = buildJobManifest(DEFAULT_JOB_SPEC, { ...input, flowRunId: undefined });
    expect(unknown.metadata?.labels?.['prefect.io/flow_run_id']).toBe('unknown');
    expect(envOf(containersOf(unknown)[0])[2]).toEqual({ name: 'PREFECT__CONTEXT__FLOW_RUN_ID', value: 'unknown' });
    const odd = buildJobManifest(DEFAULT_JOB_SPEC, { ...input, flowRunId: 'run #42/α' });
    expect(odd.metadata?.labels?.['prefect.io/flow_run_id']).toBe('run__42');
    expect(envOf(containersOf(odd)[0])[2]).toEqual({ name: 'PREFECT__CONTEXT__FLOW_RUN_ID', value: 'run #42/α' });
  });

  it('refuses parameters that are not JSON', () => {
    let caught: unknown;
    try {
      buildJobManifest(DEFAULT_JOB_SPEC, { ...input, parameters: { size: 10n } });
    } catch (error) {
      caught = error;
    }
    expect(FlowenvError.isInstance(caught) && caught.code).toBe('OPTIONS_INVALID');
  });
});
