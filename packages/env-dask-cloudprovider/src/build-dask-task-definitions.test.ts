import { describe, expect, it } from 'vitest';
import { identity, settingsOf } from './__fixtures__/settings.js';
import { buildSchedulerTaskDefinition, buildWorkerTaskDefinition, schedulerCommand, workerCommand, type TaskDefinitionInput } from './build-dask-task-definitions.js';
import { normalizeTaskDefinition } from './normalize-task-definition.js';

const created: TaskDefinitionInput = {
  identity,
  region: 'eu-west-1',
  executionRoleArn: 'arn:aws:iam::123456789012:role/flowenv/dask/flowenv-dask-0a1b2c3d-execution',
  taskRoleArn: undefined,
  logGroupName: '/flowenv/dask/flowenv-dask-0a1b2c3d',
  tlsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:flowenv/dask/run-0001/flowenv-dask-0a1b2c3d-AbCdEf',
  runScoped: true,
};

describe('scheduler and worker task definitions', () => {
  it('golden: the scheduler definition with roles and log group created for the run, TLS from the run\'s secret', async () => {
    const definition = buildSchedulerTaskDefinition(settingsOf({ tags: { team: 'data' }, environment: { EXTRA: '1' } }), created);
    await expect(`${JSON.stringify(definition, null, 2)}\n`).toMatchFileSnapshot('./__golden__/scheduler-task-definition.json');
  });

  it('golden: the worker definition with your own roles and log group, TLS from the run\'s secret', async () => {
    const settings = settingsOf({ workerCpu: 2048, workerMemory: 8192, taskRoleArn: 'arn:aws:iam::123456789012:role/etl', executionRoleArn: 'arn:aws:iam::123456789012:role/exec', logGroupName: '/etl/dask' });
    const definition = buildWorkerTaskDefinition(settings, {
      ...created,
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      taskRoleArn: 'arn:aws:iam::123456789012:role/etl',
      logGroupName: '/etl/dask',
      runScoped: false,
    });
    await expect(`${JSON.stringify(definition, null, 2)}\n`).toMatchFileSnapshot('./__golden__/worker-task-definition.json');
  });

  it('has the same content for two clusters given the same roles, log group and secret (nothing else of the run goes in)', () => {
    const shared = { ...created, runScoped: false, executionRoleArn: 'arn:aws:iam::1:role/exec', logGroupName: '/etl' };
    const first = buildWorkerTaskDefinition(settingsOf(), { ...shared, identity: { runId: 'a', name: 'flowenv-dask-aaaaaaaa' } });
    const second = buildWorkerTaskDefinition(settingsOf(), { ...shared, identity: { runId: 'b', name: 'flowenv-dask-bbbbbbbb' } });
    expect(normalizeTaskDefinition(first)).toEqual(normalizeTaskDefinition(second));
    expect(first.tags).toEqual([{ key: 'flowenv:managed-by', value: '@flowenv/env-dask-cloudprovider' }]);
  });

  it('tags a run-scoped definition with the run, so a leak is found', () => {
    expect(buildSchedulerTaskDefinition(settingsOf(), created).tags).toContainEqual({ key: 'flowenv:run', value: 'run-0001' });
  });

  it('uses the EC2 launch type for ECSCluster', () => {
    const definition = buildWorkerTaskDefinition(settingsOf({ clusterArn: 'arn:aws:ecs:eu-west-1:1:cluster/mine' }, 'EC2'), created);
    expect(definition.requiresCompatibilities).toEqual(['EC2']);
    expect(definition.networkMode).toBe('awsvpc');
  });

  it('starts the scheduler with TLS, fixed ports and an idle timeout; workers on the same two ports', () => {
    expect(schedulerCommand(settingsOf({ schedulerIdleTimeoutSeconds: 120 }))).toEqual([
      'dask', 'scheduler', '--protocol', 'tls', '--port', '8786', '--dashboard-address', ':8787', '--idle-timeout', '120s',
    ]);
    expect(workerCommand(settingsOf({ workerCpu: 512, workerCommand: ['python', '-m', 'distributed.cli.dask_worker'] }))).toEqual([
      'python', '-m', 'distributed.cli.dask_worker', '--nthreads', '1', '--memory-limit', '16384MiB',
      '--worker-port', '8786', '--nanny-port', '8787', '--no-dashboard', '--death-timeout', '60s',
    ]);
  });

  it('lets your environment override flowenv\'s variables by name, but not the TLS material from the secret', () => {
    const definition = buildSchedulerTaskDefinition(settingsOf({ environment: { DASK_DISTRIBUTED__SCHEDULER__BLOCKED_HANDLERS: '[]', DASK_DISTRIBUTED__COMM__TLS__SCHEDULER__KEY: 'mine' } }), created);
    expect(definition.containerDefinitions?.[0]?.environment).toEqual([{ name: 'DASK_DISTRIBUTED__SCHEDULER__BLOCKED_HANDLERS', value: '[]' }]);
    expect(definition.containerDefinitions?.[0]?.secrets).toContainEqual({ name: 'DASK_DISTRIBUTED__COMM__TLS__SCHEDULER__KEY', valueFrom: `${created.tlsSecretArn}:privateKey::` });
  });

  it('reads every certificate and key from a JSON key of the run\'s secret, never a literal value', () => {
    const names = (definition: ReturnType<typeof buildWorkerTaskDefinition>) => definition.containerDefinitions?.[0]?.secrets?.map((secret) => `${secret.name} ${secret.valueFrom?.replace(created.tlsSecretArn, '<arn>')}`);
    expect(names(buildSchedulerTaskDefinition(settingsOf(), created))).toEqual([
      'DASK_DISTRIBUTED__COMM__TLS__CA_FILE <arn>:ca::',
      'DASK_DISTRIBUTED__COMM__TLS__SCHEDULER__CERT <arn>:certificate::',
      'DASK_DISTRIBUTED__COMM__TLS__SCHEDULER__KEY <arn>:privateKey::',
    ]);
    expect(names(buildWorkerTaskDefinition(settingsOf(), created))).toEqual([
      'DASK_DISTRIBUTED__COMM__TLS__CA_FILE <arn>:ca::',
      'DASK_DISTRIBUTED__COMM__TLS__WORKER__CERT <arn>:certificate::',
      'DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY <arn>:privateKey::',
      'DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT <arn>:certificate::',
      'DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY <arn>:privateKey::',
    ]);
  });
});
