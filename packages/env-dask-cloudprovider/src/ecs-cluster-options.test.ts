import { FlowenvError } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { resolveEcsClusterSettings } from './ecs-cluster-options.js';

function errorOf(action: () => unknown): FlowenvError {
  try {
    action();
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('resolveEcsClusterSettings', () => {
  it('applies dask-cloudprovider\'s sizes and flowenv\'s safe defaults', () => {
    const settings = resolveEcsClusterSettings({ image: 'flow:1' }, 'FARGATE');
    expect(settings).toMatchObject({
      launchType: 'FARGATE',
      nWorkers: 1,
      schedulerCpu: 1024,
      schedulerMemory: 4096,
      workerCpu: 4096,
      workerMemory: 16_384,
      workerThreads: 4,
      assignPublicIp: false,
      familyPrefix: 'flowenv-dask',
      schedulerCommand: ['dask', 'scheduler'],
      workerCommand: ['dask', 'worker'],
      schedulerIdleTimeoutSeconds: 300,
      workerDeathTimeoutSeconds: 60,
      schedulerTimeoutMs: 300_000,
      workerTimeoutMs: 300_000,
      teardownTimeoutMs: 300_000,
      pollIntervalMs: 2_000,
      skipCleanup: true,
      certificateValidityDays: 7,
      taskRolePolicyArns: [],
      clientSecurityGroups: [],
    });
    expect(settings.clusterArn).toBeUndefined();
    expect(settings.securityGroups).toBeUndefined();
  });

  it('treats null as "default", accepts nWorkers 0', () => {
    expect(resolveEcsClusterSettings({ image: 'flow:1', nWorkers: 0, workerCpu: null, skipCleanup: null }, 'FARGATE')).toMatchObject({ nWorkers: 0, workerCpu: 4096, skipCleanup: true });
  });

  it('ignores taskRolePolicyArns when a taskRoleArn is given', () => {
    expect(resolveEcsClusterSettings({ image: 'i', taskRoleArn: 'arn:aws:iam::1:role/r', taskRolePolicyArns: ['arn:aws:iam::1:policy/p'] }, 'FARGATE').taskRolePolicyArns).toEqual([]);
  });

  it('names the provider and the field in every error, and says what to do', () => {
    expect(errorOf(() => resolveEcsClusterSettings({ image: 'i', schedulerCpu: 0 }, 'FARGATE')).message).toMatch(/^FargateCluster: invalid provider options: `schedulerCpu`/);
    expect(errorOf(() => resolveEcsClusterSettings({ image: 'i', subnets: [] }, 'FARGATE')).message).toContain('`subnets`');
    expect(errorOf(() => resolveEcsClusterSettings({ image: 'i', endpoint: 'not a url' }, 'FARGATE')).message).toContain('`endpoint`');
    expect(errorOf(() => resolveEcsClusterSettings({ image: 'i', familyPrefix: 'a b' }, 'FARGATE')).message).toContain('an ECS family name');
    expect(errorOf(() => resolveEcsClusterSettings({ image: 'i', environment: { 'NOT-A-NAME': 'x' } }, 'FARGATE')).message).toContain('`environment.NOT-A-NAME`');
    expect(errorOf(() => resolveEcsClusterSettings({}, 'FARGATE')).message).toContain('use a DockerStorage (its image is the default), or set PREFECT__CONTEXT__IMAGE');
    expect(errorOf(() => resolveEcsClusterSettings({ image: 'i' }, 'EC2')).message).toMatch(/^ECSCluster: invalid provider options: `clusterArn`/);
    expect(errorOf(() => resolveEcsClusterSettings({ image: 'i', securityGroups: ['sg-1'], clientSecurityGroups: ['sg-2'] }, 'FARGATE')).message).toContain('admit your clients in those groups yourself');
  });
});
