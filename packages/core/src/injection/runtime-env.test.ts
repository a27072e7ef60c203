import { describe, expect, it } from 'vitest';
import { Config, loadConfig } from '../config/load-config.js';
import { FlowenvError } from '../errors/flowenv-error.js';
import {
  DASK_EXECUTOR_CLASS,
  FLOW_RUNNER_CLASS,
  TASK_RUNNER_CLASS,
  daskExtraLoggers,
  daskSchedulerEnv,
  daskWorkerEnv,
  fargateDefinitionEnv,
  fargateRunOverrideEnv,
  injectionSettingsFromConfig,
  kubernetesJobEnv,
  mergeEnvByName,
  resolveFlowRunId,
  resolveNamespace,
  type EnvVar,
  type InjectedEnvVar,
} from './runtime-env.js';

/** `[name, value]` pairs, the form the golden lists below are written in. */
function pairs(variables: readonly EnvVar[]): [string, unknown][] {
  return variables.map((variable) => [variable.name, variable.valueFrom ?? variable.value]);
}

// The values Prefect's own tests put into config and context (test_k8s_job_environment.py et al.).
const identity = {
  graphqlUrl: 'gql_test',
  authToken: { value: 'auth_test' },
  flowRunId: 'id_test',
  namespace: 'namespace_test',
  image: 'test1/test2:test3',
  flowFilePath: 'test4',
};
const daskLoggers = "['test_logger', 'dask_kubernetes.core', 'distributed.deploy.adaptive', 'kubernetes']";
const daskLoggersWithScheduler = "['test_logger', 'dask_kubernetes.core', 'distributed.deploy.adaptive', 'kubernetes', 'distributed.scheduler']";

describe('runner and executor values', () => {
  it('name flowenv modules, and the default config uses the same runners', () => {
    expect(FLOW_RUNNER_CLASS).toBe('@flowenv/core#FlowRunner');
    expect(TASK_RUNNER_CLASS).toBe('@flowenv/core#TaskRunner');
    expect(DASK_EXECUTOR_CLASS).toBe('@flowenv/dask#DaskExecutor');
    const config = loadConfig({ env: {}, userConfigPath: null });
    expect(config.get('engine.flow_runner.default_class')).toBe(FLOW_RUNNER_CLASS);
    expect(config.get('engine.task_runner.default_class')).toBe(TASK_RUNNER_CLASS);
  });
});

describe('resolvers (one fallback each, spec §9 item 7)', () => {
  it('namespace falls back to "default"', () => {
    expect(resolveNamespace(undefined)).toBe('default');
    expect(resolveNamespace(null)).toBe('default');
    expect(resolveNamespace('')).toBe('default');
    expect(resolveNamespace('prod')).toBe('prod');
  });

  it('flow run id falls back to "unknown"', () => {
    expect(resolveFlowRunId(undefined)).toBe('unknown');
    expect(resolveFlowRunId('')).toBe('unknown');
    expect(resolveFlowRunId('12345')).toBe('12345');
  });
});

describe('kubernetesJobEnv (spec 6.2)', () => {
  it('8.6.16 test_populate_job_yaml: the 11 variables in order', () => {
    const env = kubernetesJobEnv({ ...identity, extraLoggers: ['test_logger'] });
    expect(pairs(env)).toEqual([
      ['PREFECT__CLOUD__GRAPHQL', 'gql_test'],
      ['PREFECT__CLOUD__AUTH_TOKEN', 'auth_test'],
      ['PREFECT__CONTEXT__FLOW_RUN_ID', 'id_test'],
      ['PREFECT__CONTEXT__NAMESPACE', 'namespace_test'],
      ['PREFECT__CONTEXT__IMAGE', 'test1/test2:test3'],
      ['PREFECT__CONTEXT__FLOW_FILE_PATH', 'test4'],
      ['PREFECT__CLOUD__USE_LOCAL_SECRETS', 'false'],
      ['PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS', '@flowenv/core#FlowRunner'],
      ['PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS', '@flowenv/core#TaskRunner'],
      ['PREFECT__LOGGING__LOG_TO_CLOUD', 'true'],
      ['PREFECT__LOGGING__EXTRA_LOGGERS', "['test_logger']"],
    ]);
    // Tests index a container whose own env was empty.
    const merged = mergeEnvByName([], env);
    expect(merged[10]).toEqual({ name: 'PREFECT__LOGGING__EXTRA_LOGGERS', value: "['test_logger']" });
  });

  it('8.6.17 test_populate_job_yaml_no_defaults: fallbacks and "[]"', () => {
    const env = kubernetesJobEnv({ graphqlUrl: 'gql_test', authToken: { value: '' }, image: 'test1/test2:test3', flowFilePath: 'test4', extraLoggers: [] });
    expect(pairs(env).slice(0, 4)).toEqual([
      ['PREFECT__CLOUD__GRAPHQL', 'gql_test'],
      // No token configured: the entry is still there, empty, as in 0.11.
      ['PREFECT__CLOUD__AUTH_TOKEN', ''],
      ['PREFECT__CONTEXT__FLOW_RUN_ID', 'unknown'],
      // 0.11 used "" here; flowenv resolves the namespace once, to "default".
      ['PREFECT__CONTEXT__NAMESPACE', 'default'],
    ]);
    expect(env[10]).toMatchObject({ name: 'PREFECT__LOGGING__EXTRA_LOGGERS', value: '[]' });
  });

  it('8.6.18 test_populate_job_yaml_multiple_containers: every container gets the list after its own entries', () => {
    const env = kubernetesJobEnv({ ...identity, extraLoggers: [] });
    const containers = [{ env: [] as EnvVar[] }, { env: [{ name: 'MINE', value: '1' }] }];
    const populated = containers.map((container) => mergeEnvByName(container.env, env));
    expect(populated[0]).toHaveLength(11);
    expect(populated[1]).toHaveLength(12);
    expect(populated[1]?.[0]).toEqual({ name: 'MINE', value: '1' });
    expect(containers[1]?.env).toEqual([{ name: 'MINE', value: '1' }]);
  });

  it('appends the identifier when there is one (spec §9 item 3)', () => {
    const env = kubernetesJobEnv({ ...identity, extraLoggers: [], identifier: 'abc123' });
    expect(env).toHaveLength(12);
    expect(env[11]).toEqual({ name: 'PREFECT__CONTEXT__IDENTIFIER', value: 'abc123', precedence: 'run-identity' });
    expect(kubernetesJobEnv({ ...identity, extraLoggers: [], identifier: '' })).toHaveLength(11);
  });

  it('carries a Secret reference for the token instead of its value', () => {
    const secretKeyRef = { secretKeyRef: { name: 'flowenv-auth', key: 'token' } };
    const env = mergeEnvByName([], kubernetesJobEnv({ ...identity, authToken: { valueFrom: secretKeyRef }, extraLoggers: [] }));
    expect(env[1]).toEqual({ name: 'PREFECT__CLOUD__AUTH_TOKEN', valueFrom: secretKeyRef });
    expect(JSON.stringify(env)).not.toContain('auth_test');
  });
});

describe('daskExtraLoggers', () => {
  it('adds the Dask and Kubernetes loggers, and the scheduler on request', () => {
    expect(daskExtraLoggers([], false)).toEqual(['dask_kubernetes.core', 'distributed.deploy.adaptive', 'kubernetes']);
    expect(daskExtraLoggers(['test_logger'], true)).toEqual([
      'test_logger',
      'dask_kubernetes.core',
      'distributed.deploy.adaptive',
      'kubernetes',
      'distributed.scheduler',
    ]);
  });
});

describe('daskSchedulerEnv (spec 2.5, 6.3)', () => {
  it('8.7.18 test_populate_job_yaml: the 16 slots of the packaged job template', () => {
    const env = daskSchedulerEnv({ ...identity, template: 'default', workStealing: true, extraLoggers: ['test_logger'], schedulerLogs: true });
    expect(pairs(env)).toEqual([
      ['PREFECT__CLOUD__GRAPHQL', 'gql_test'],
      ['PREFECT__CLOUD__AUTH_TOKEN', 'auth_test'],
      ['PREFECT__CONTEXT__FLOW_RUN_ID', 'id_test'],
      ['PREFECT__CONTEXT__NAMESPACE', 'namespace_test'],
      ['PREFECT__CONTEXT__IMAGE', 'test1/test2:test3'],
      ['PREFECT__CONTEXT__FLOW_FILE_PATH', 'test4'],
      ['PREFECT__CLOUD__USE_LOCAL_SECRETS', 'false'],
      ['PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS', '@flowenv/core#FlowRunner'],
      ['PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS', '@flowenv/core#TaskRunner'],
      ['PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS', '@flowenv/dask#DaskExecutor'],
      ['PREFECT__LOGGING__LOG_TO_CLOUD', 'true'],
      ['PREFECT__LOGGING__LEVEL', 'DEBUG'],
      ['PREFECT__DEBUG', 'true'],
      ['DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING', 'True'],
      ['DASK_DISTRIBUTED__SCHEDULER__BLOCKED_HANDLERS', "['feed', 'run_function']"],
      ['PREFECT__LOGGING__EXTRA_LOGGERS', daskLoggersWithScheduler],
    ]);
  });

  it('writes work stealing as Python booleans, and falls back to "default" / "unknown"', () => {
    const env = daskSchedulerEnv({ ...identity, flowRunId: undefined, namespace: '', template: 'default', workStealing: false, extraLoggers: [], schedulerLogs: false });
    expect(env[13]?.value).toBe('False');
    expect(env[2]?.value).toBe('unknown');
    expect(env[3]?.value).toBe('default');
  });

  for (const logToCloud of [true, false]) {
    it(`8.7.23 test_populate_custom_scheduler_spec_yaml[log_flag=${logToCloud}]: the 12 appended variables`, () => {
      const env = daskSchedulerEnv({ ...identity, template: 'custom', logToCloud, extraLoggers: ['test_logger'], schedulerLogs: false });
      expect(pairs(env)).toEqual([
        ['PREFECT__CLOUD__GRAPHQL', 'gql_test'],
        ['PREFECT__CLOUD__AUTH_TOKEN', 'auth_test'],
        ['PREFECT__CONTEXT__FLOW_RUN_ID', 'id_test'],
        ['PREFECT__CONTEXT__NAMESPACE', 'namespace_test'],
        ['PREFECT__CONTEXT__IMAGE', 'test1/test2:test3'],
        ['PREFECT__CONTEXT__FLOW_FILE_PATH', 'test4'],
        ['PREFECT__CLOUD__USE_LOCAL_SECRETS', 'false'],
        ['PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS', '@flowenv/core#FlowRunner'],
        ['PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS', '@flowenv/core#TaskRunner'],
        ['PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS', '@flowenv/dask#DaskExecutor'],
        ['PREFECT__LOGGING__LOG_TO_CLOUD', String(logToCloud)],
        ['PREFECT__LOGGING__EXTRA_LOGGERS', daskLoggers],
      ]);
    });
  }

  it('appends the identifier the worker pods will share', () => {
    const env = daskSchedulerEnv({ ...identity, template: 'custom', logToCloud: false, extraLoggers: [], schedulerLogs: false, identifier: 'run-42' });
    expect(env.at(-1)).toMatchObject({ name: 'PREFECT__CONTEXT__IDENTIFIER', value: 'run-42' });
    expect(env).toHaveLength(13);
  });
});

describe('daskWorkerEnv (spec 2.5, 6.3)', () => {
  const worker = { graphqlUrl: 'gql_test', authToken: { value: 'auth_test' }, flowRunId: 'id_test' };

  it('8.7.19 test_populate_worker_pod_yaml: the 12 slots of the packaged worker template', () => {
    const env = daskWorkerEnv({ ...worker, template: 'default', extraLoggers: ['test_logger'], schedulerLogs: false });
    expect(pairs(env)).toEqual([
      ['PREFECT__CLOUD__GRAPHQL', 'gql_test'],
      ['PREFECT__CLOUD__AUTH_TOKEN', 'auth_test'],
      ['PREFECT__CONTEXT__FLOW_RUN_ID', 'id_test'],
      ['PREFECT__CLOUD__USE_LOCAL_SECRETS', 'false'],
      ['PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS', '@flowenv/core#FlowRunner'],
      ['PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS', '@flowenv/core#TaskRunner'],
      ['PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS', '@flowenv/dask#DaskExecutor'],
      ['PREFECT__LOGGING__LOG_TO_CLOUD', 'true'],
      ['PREFECT__LOGGING__LEVEL', 'DEBUG'],
      ['PREFECT__DEBUG', 'true'],
      ['DASK_DISTRIBUTED__SCHEDULER__BLOCKED_HANDLERS', "['feed', 'run_function']"],
      ['PREFECT__LOGGING__EXTRA_LOGGERS', daskLoggers],
    ]);
  });

  for (const logToCloud of [true, false]) {
    it(`8.7.22 test_populate_custom_worker_spec_yaml[log_flag=${logToCloud}]: the 9 appended variables`, () => {
      const env = daskWorkerEnv({ ...worker, template: 'custom', logToCloud, extraLoggers: ['test_logger'], schedulerLogs: true });
      expect(pairs(env)).toEqual([
        ['PREFECT__CLOUD__GRAPHQL', 'gql_test'],
        ['PREFECT__CLOUD__AUTH_TOKEN', 'auth_test'],
        ['PREFECT__CONTEXT__FLOW_RUN_ID', 'id_test'],
        ['PREFECT__CLOUD__USE_LOCAL_SECRETS', 'false'],
        ['PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS', '@flowenv/core#FlowRunner'],
        ['PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS', '@flowenv/core#TaskRunner'],
        ['PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS', '@flowenv/dask#DaskExecutor'],
        ['PREFECT__LOGGING__LOG_TO_CLOUD', String(logToCloud)],
        ['PREFECT__LOGGING__EXTRA_LOGGERS', daskLoggersWithScheduler],
      ]);
    });
  }

  it('uses the same run-id fallback as the scheduler and carries the shared identifier', () => {
    const env = daskWorkerEnv({ graphqlUrl: 'g', authToken: { value: '' }, template: 'default', extraLoggers: [], schedulerLogs: false, identifier: 'run-42' });
    expect(env[2]?.value).toBe('unknown');
    expect(env.at(-1)).toMatchObject({ name: 'PREFECT__CONTEXT__IDENTIFIER', value: 'run-42' });
  });
});

describe('fargateDefinitionEnv (spec 3.2, 6.4)', () => {
  const sixVariables = (loggers: string): [string, string][] => [
    ['PREFECT__CLOUD__GRAPHQL', 'gql_test'],
    ['PREFECT__CLOUD__USE_LOCAL_SECRETS', 'false'],
    ['PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS', '@flowenv/core#FlowRunner'],
    ['PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS', '@flowenv/core#TaskRunner'],
    ['PREFECT__LOGGING__LOG_TO_CLOUD', 'true'],
    ['PREFECT__LOGGING__EXTRA_LOGGERS', loggers],
  ];

  it('8.8.13 test_setup_definition_register: the 6 variables after the container\'s own (empty) environment', () => {
    const container = { name: 'flow-container', image: 'image', command: [], environment: [] as EnvVar[], essential: true };
    const environment = mergeEnvByName(container.environment, fargateDefinitionEnv({ graphqlUrl: 'gql_test', extraLoggers: [] }));
    expect(pairs(environment)).toEqual(sixVariables('[]'));
    expect(environment.every((variable) => Object.keys(variable).join() === 'name,value')).toBe(true);
  });

  it('8.8.14 / 8.8.19: extra loggers from config, as a Python list', () => {
    expect(pairs(fargateDefinitionEnv({ graphqlUrl: 'gql_test', extraLoggers: ['test_logger'] }))).toEqual(sixVariables("['test_logger']"));
  });
});

describe('fargateRunOverrideEnv (spec 3.3)', () => {
  const run = { authToken: { value: 'cloud_token' }, image: 'test/image:tag', flowFilePath: 'flow_location' };

  it('8.8.15 test_execute_run_task: cloud token, "unknown" run id, image, flow path', () => {
    expect(mergeEnvByName([], fargateRunOverrideEnv(run))).toEqual([
      { name: 'PREFECT__CLOUD__AUTH_TOKEN', value: 'cloud_token' },
      { name: 'PREFECT__CONTEXT__FLOW_RUN_ID', value: 'unknown' },
      { name: 'PREFECT__CONTEXT__IMAGE', value: 'test/image:tag' },
      { name: 'PREFECT__CONTEXT__FLOW_FILE_PATH', value: 'flow_location' },
    ]);
  });

  it('8.8.16 test_execute_run_task_agent_token: a non-empty agent token wins', () => {
    expect(fargateRunOverrideEnv({ ...run, agentAuthToken: 'agent_token', flowRunId: 'id' })[0]?.value).toBe('agent_token');
    expect(fargateRunOverrideEnv({ ...run, agentAuthToken: '' })[0]?.value).toBe('cloud_token');
    expect(fargateRunOverrideEnv({ ...run, flowRunId: 'id' })[1]?.value).toBe('id');
  });

  it('passes a secret reference through and appends the identifier', () => {
    const env = fargateRunOverrideEnv({ ...run, authToken: { valueFrom: 'arn:aws:secretsmanager:token' }, identifier: 'abc' });
    expect(env[0]).toEqual({ name: 'PREFECT__CLOUD__AUTH_TOKEN', valueFrom: 'arn:aws:secretsmanager:token', precedence: 'run-identity' });
    expect(env.at(-1)).toMatchObject({ name: 'PREFECT__CONTEXT__IDENTIFIER', value: 'abc' });
  });
});

describe('mergeEnvByName', () => {
  const injected: InjectedEnvVar[] = [
    { name: 'PREFECT__CLOUD__GRAPHQL', value: 'ours', precedence: 'run-identity' },
    { name: 'PREFECT__LOGGING__LOG_TO_CLOUD', value: 'true', precedence: 'configuration' },
    { name: 'PREFECT__LOGGING__EXTRA_LOGGERS', value: '[]', precedence: 'configuration' },
  ];

  it('run identity replaces the user\'s entry; configuration yields to it (issue #3231)', () => {
    const existing: EnvVar[] = [
      { name: 'A', value: '1' },
      { name: 'PREFECT__CLOUD__GRAPHQL', value: 'user' },
      { name: 'PREFECT__LOGGING__LOG_TO_CLOUD', value: 'false' },
      { name: 'B', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } },
    ];
    expect(mergeEnvByName(existing, injected)).toEqual([
      { name: 'A', value: '1' },
      { name: 'PREFECT__LOGGING__LOG_TO_CLOUD', value: 'false' },
      { name: 'B', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } },
      { name: 'PREFECT__CLOUD__GRAPHQL', value: 'ours' },
      { name: 'PREFECT__LOGGING__EXTRA_LOGGERS', value: '[]' },
    ]);
  });

  it('removes every duplicate of a run-identity name and keeps the user\'s own duplicates otherwise', () => {
    const existing: EnvVar[] = [
      { name: 'PREFECT__CLOUD__GRAPHQL', value: 'one' },
      { name: 'X', value: '1' },
      { name: 'PREFECT__CLOUD__GRAPHQL', value: 'two' },
      { name: 'X', value: '2' },
    ];
    expect(pairs(mergeEnvByName(existing, injected))).toEqual([
      ['X', '1'],
      ['X', '2'],
      ['PREFECT__CLOUD__GRAPHQL', 'ours'],
      ['PREFECT__LOGGING__LOG_TO_CLOUD', 'true'],
      ['PREFECT__LOGGING__EXTRA_LOGGERS', '[]'],
    ]);
  });

  it('never duplicates a name when applied again (0.11 appended the list twice, spec §9 item 5)', () => {
    const once = mergeEnvByName([{ name: 'A', value: '1' }], kubernetesJobEnv({ ...identity, extraLoggers: [] }));
    const twice = mergeEnvByName(once, kubernetesJobEnv({ ...identity, extraLoggers: [] }));
    const byName = (list: EnvVar[]): EnvVar[] => [...list].sort((left, right) => left.name.localeCompare(right.name));
    expect(byName(twice)).toEqual(byName(once));
    expect(new Set(twice.map((variable) => variable.name)).size).toBe(twice.length);
  });

  it('does not change its inputs', () => {
    const existing: EnvVar[] = [{ name: 'PREFECT__CLOUD__GRAPHQL', value: 'user' }];
    const existingCopy = structuredClone(existing);
    const injectedCopy = structuredClone(injected);
    const merged = mergeEnvByName(existing, injected);
    expect(existing).toEqual(existingCopy);
    expect(injected).toEqual(injectedCopy);
    merged.push({ name: 'Z', value: 'z' });
    expect(existing).toHaveLength(1);
  });
});

describe('injectionSettingsFromConfig', () => {
  it('reads the defaults', () => {
    expect(injectionSettingsFromConfig(loadConfig({ env: {}, userConfigPath: null }))).toEqual({
      graphqlUrl: 'http://localhost:4200/graphql/alpha',
      authToken: '',
      agentAuthToken: '',
      logToCloud: false,
      extraLoggers: [],
    });
  });

  it('reads values typed once from the environment (defect 2)', () => {
    const settings = injectionSettingsFromConfig(
      loadConfig({
        userConfigPath: null,
        env: {
          PREFECT__CLOUD__API: 'http://agent:4200',
          PREFECT__CLOUD__AUTH_TOKEN: 'token',
          PREFECT__CLOUD__AGENT__AUTH_TOKEN: 'agent',
          PREFECT__LOGGING__LOG_TO_CLOUD: 'True',
          PREFECT__LOGGING__EXTRA_LOGGERS: "['test_logger']",
        },
      }),
    );
    expect(settings).toEqual({
      graphqlUrl: 'http://agent:4200/graphql/alpha',
      authToken: 'token',
      agentAuthToken: 'agent',
      logToCloud: true,
      extraLoggers: ['test_logger'],
    });
    expect(kubernetesJobEnv({ ...identity, extraLoggers: settings.extraLoggers })[10]?.value).toBe("['test_logger']");
  });

  it('an empty list from the environment formats back to "[]"', () => {
    const settings = injectionSettingsFromConfig(loadConfig({ env: { PREFECT__LOGGING__EXTRA_LOGGERS: '[]' }, userConfigPath: null }));
    expect(fargateDefinitionEnv({ graphqlUrl: 'g', extraLoggers: settings.extraLoggers })[5]?.value).toBe('[]');
  });

  it('rejects values of the wrong type with what to set', () => {
    for (const [tree, pattern] of [
      [{ logging: { extra_loggers: 'my_logger' } }, /PREFECT__LOGGING__EXTRA_LOGGERS/],
      [{ logging: { extra_loggers: [1] } }, /list of logger names/],
      [{ logging: { log_to_cloud: 'yes' } }, /PREFECT__LOGGING__LOG_TO_CLOUD/],
    ] as const) {
      let caught: unknown;
      try {
        injectionSettingsFromConfig(new Config(tree));
      } catch (error) {
        caught = error;
      }
      expect(FlowenvError.isInstance(caught) && caught.code === 'CONFIG_INVALID').toBe(true);
      expect((caught as Error).message).toMatch(pattern);
    }
  });
});
