import { FlowenvError } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { identity, settingsOf } from './__fixtures__/settings.js';
import { buildSchedulerRunTaskRequest, buildWorkerRunTaskRequests, type RunTaskInput } from './build-dask-run-task-requests.js';

const input: RunTaskInput = {
  identity,
  clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/flowenv-dask-0a1b2c3d',
  taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/flowenv-dask-scheduler:7',
  subnets: ['subnet-a', 'subnet-b'],
  securityGroups: ['sg-0123'],
};

describe('RunTask requests', () => {
  it('golden: the scheduler, private IP, encryption required, no TLS material, tagged with the run', async () => {
    const request = buildSchedulerRunTaskRequest(settingsOf({ tags: { team: 'data' } }), input);
    await expect(`${JSON.stringify(request, null, 2)}\n`).toMatchFileSnapshot('./__golden__/scheduler-run-task.json');
  });

  it('golden: 12 workers in two batches (10 + 2), the scheduler address appended to their command', async () => {
    const requests = buildWorkerRunTaskRequests(settingsOf(), {
      ...input,
      taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/flowenv-dask-worker:7',
      schedulerAddress: 'tls://10.0.1.23:8786',
      count: 12,
      step: 0,
    });
    expect(requests.map((request) => request.count)).toEqual([10, 2]);
    expect(new Set(requests.map((request) => request.clientToken)).size).toBe(2);
    await expect(`${JSON.stringify(requests, null, 2)}\n`).toMatchFileSnapshot('./__golden__/worker-run-tasks.json');
  });

  it('asks for public IPs only when assignPublicIp is set, and never on EC2', () => {
    expect(buildSchedulerRunTaskRequest(settingsOf({ assignPublicIp: true }), input).networkConfiguration?.awsvpcConfiguration?.assignPublicIp).toBe('ENABLED');
    const ec2 = buildSchedulerRunTaskRequest(settingsOf({ clusterArn: input.clusterArn, assignPublicIp: true }, 'EC2'), input);
    expect(ec2.launchType).toBe('EC2');
    expect(ec2.networkConfiguration?.awsvpcConfiguration).not.toHaveProperty('assignPublicIp');
  });

  it('names each scaling step and batch in its idempotency token', () => {
    const [request] = buildWorkerRunTaskRequests(settingsOf(), { ...input, schedulerAddress: 'tls://10.0.1.23:8786', count: 1, step: 3 });
    expect(request?.clientToken).toBe('flowenv-dask-0a1b2c3d-workers-3-0');
  });

  it('refuses overrides longer than ECS allows, saying what to do', () => {
    const settings = settingsOf({ workerCommand: ['dask', 'worker', 'x'.repeat(9_000)] });
    let caught: unknown;
    try {
      buildWorkerRunTaskRequests(settings, { ...input, schedulerAddress: 'tls://10.0.1.23:8786', count: 1, step: 0 });
    } catch (error) {
      caught = error;
    }
    expect(FlowenvError.isInstance(caught) && caught.code).toBe('OPTIONS_INVALID');
    expect((caught as Error).message).toContain('ECS allows 8192');
  });
});
