import type { ContainerDefinition, Task } from '@aws-sdk/client-ecs';
import { createLogger, FlowenvError } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { awsError, fakeClients } from './__fixtures__/fake-aws.js';
import { awsLogsLocation, createTaskHandle, taskOutcome, type TaskHandleInput } from './watch-task.js';

const taskArn = 'arn:aws:ecs:us-east-1:123456789012:task/flows/0123456789abcdef';
const stopped = (facts: Partial<Task>, exitCode?: number, reason?: string): Task => ({
  taskArn,
  lastStatus: 'STOPPED',
  containers: [{ name: 'flow-container', ...(exitCode === undefined ? {} : { exitCode }), ...(reason === undefined ? {} : { reason }) }],
  ...facts,
});
const awslogsContainer: ContainerDefinition = {
  name: 'flow-container',
  logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/flowenv/flows', 'awslogs-stream-prefix': 'run', 'awslogs-region': 'us-east-1' } },
};

describe('taskOutcome', () => {
  it('reports Success when the flow container exits 0', () => {
    expect(taskOutcome(stopped({ stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }, 0))).toEqual({ state: 'Success' });
  });

  it('reports TaskFailedToStart with its reason, even without containers (PrefectHQ/prefect#22410)', () => {
    const outcome = taskOutcome({ taskArn, lastStatus: 'STOPPED', stopCode: 'TaskFailedToStart', stoppedReason: 'Timeout waiting for network interface provisioning to complete.' });
    expect(outcome).toEqual({ state: 'Failed', reason: 'TaskFailedToStart: Timeout waiting for network interface provisioning to complete.' });
    const pull = taskOutcome(stopped({ stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)' }, undefined, 'CannotPullContainerError: not found'));
    expect(pull.reason).toBe('TaskFailedToStart: CannotPullContainerError: pull image manifest has been retried 5 time(s) (CannotPullContainerError: not found)');
  });

  it('reports OutOfMemory for exit 137 or an OutOfMemoryError reason', () => {
    expect(taskOutcome(stopped({ stopCode: 'EssentialContainerExited' }, 137)).reason).toMatch(/^OutOfMemory: container flow-container was killed \(exit 137\)/);
    const byReason = taskOutcome(stopped({ stopCode: 'EssentialContainerExited' }, undefined, 'OutOfMemoryError: Container killed due to memory usage'));
    expect(byReason.state).toBe('Failed');
    expect(byReason.reason).toContain('OutOfMemory');
    expect(byReason.reason).toContain('Container killed due to memory usage');
  });

  it('reports a non-zero exit code with the stop code and reason', () => {
    expect(taskOutcome(stopped({ stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' }, 1))).toEqual({
      state: 'Failed',
      reason: 'container flow-container exited with code 1 — EssentialContainerExited: Essential container in task exited',
    });
  });

  it('reports Cancelled when stopped by a user or by cancel()', () => {
    expect(taskOutcome(stopped({ stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' }, 143))).toEqual({ state: 'Cancelled', reason: 'Task stopped by user' });
    // moto reports neither stop code nor a real exit code: the handle knows it cancelled.
    expect(taskOutcome(stopped({ stoppedReason: 'Cancelled by flowenv' }, 0), { cancelled: true })).toEqual({ state: 'Cancelled', reason: 'Cancelled by flowenv' });
  });

  it('reports a spot interruption or other stop without exit code as Failed with the stop code', () => {
    expect(taskOutcome(stopped({ stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.' }))).toEqual({
      state: 'Failed',
      reason: 'SpotInterruption: Your Spot Task was interrupted.',
    });
  });
});

describe('awsLogsLocation', () => {
  it('names the stream <prefix>/<container>/<task id>', () => {
    expect(awsLogsLocation(awslogsContainer, taskArn)).toEqual({ group: '/flowenv/flows', stream: 'run/flow-container/0123456789abcdef', region: 'us-east-1' });
  });

  it('has nothing for other drivers or without a stream prefix', () => {
    expect(awsLogsLocation({ name: 'flow-container' }, taskArn)).toBeUndefined();
    expect(awsLogsLocation({ name: 'flow-container', logConfiguration: { logDriver: 'json-file' } }, taskArn)).toBeUndefined();
    expect(awsLogsLocation({ name: 'flow-container', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g' } } }, taskArn)).toBeUndefined();
  });
});

describe('createTaskHandle', () => {
  function handleFor({ sleep, ...options }: Partial<TaskHandleInput> = {}) {
    const clients = fakeClients();
    const sleeps: number[] = [];
    const run = clients.ecs.send({ constructor: { name: 'RunTaskCommand' }, input: { cluster: 'flows', taskDefinition: 'flow:1' } }) as Promise<{ tasks: Task[] }>;
    return run.then(({ tasks }) => {
      const arn = tasks[0]?.taskArn ?? '';
      const handle = createTaskHandle({
        clients,
        cluster: 'flows',
        taskArns: [arn],
        taskDefinitionArn: 'flow:1',
        flowContainer: awslogsContainer,
        pollIntervalMs: 4_000,
        logger: createLogger('test'),
        sleep: async (milliseconds) => {
          sleeps.push(milliseconds);
          await sleep?.(milliseconds);
        },
        ...options,
      });
      clients.ecs.calls.length = 0;
      return { handle, clients, arn, sleeps };
    });
  }

  it('identifies the task', async () => {
    const { handle, arn } = await handleFor();
    expect(handle.kind).toBe('ecs-task');
    expect(handle.id).toBe(arn);
    expect(handle.details).toEqual({ cluster: 'flows', taskDefinition: 'flow:1' });
  });

  it('polls DescribeTasks with a growing, bounded interval until STOPPED', async () => {
    let polls = 0;
    const { handle, clients, arn, sleeps } = await handleFor({
      sleep: async () => {
        if (++polls === 5) clients.ecs.stopTask(arn, { stopCode: 'EssentialContainerExited', containers: [{ name: 'flow-container', exitCode: 0 }] });
      },
    });
    expect(await handle.wait()).toEqual({ state: 'Success' });
    expect(clients.ecs.count('DescribeTasks')).toBe(6);
    expect(sleeps).toEqual([1_000, 2_000, 4_000, 4_000, 4_000]);
    expect(clients.ecs.inputsOf('DescribeTasks')[0]).toEqual({ cluster: 'flows', tasks: [arn] });
  });

  it('attaches the last log lines to a failed outcome', async () => {
    const { handle, clients, arn } = await handleFor();
    clients.logs.append('/flowenv/flows', `run/flow-container/${arn.split('/').pop()}`, 'starting', 'Traceback: boom');
    clients.ecs.stopTask(arn, { stopCode: 'EssentialContainerExited', containers: [{ name: 'flow-container', exitCode: 1 }] });
    const outcome = await handle.wait();
    expect(outcome.state).toBe('Failed');
    expect(outcome.logTail).toEqual(['starting', 'Traceback: boom']);
    expect(clients.logs.calls[0]?.input).toMatchObject({ logGroupName: '/flowenv/flows', startFromHead: false, limit: 20 });
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const { handle } = await handleFor({ sleep: async () => controller.abort(new Error('gave up')) });
    await expect(handle.wait({ signal: controller.signal })).rejects.toThrow('gave up');
  });

  it('fails clearly when ECS no longer knows the task', async () => {
    const { handle, clients, arn } = await handleFor();
    clients.ecs.tasks.delete(arn);
    const error = await handle.wait().catch((caught: unknown) => caught);
    expect(FlowenvError.isInstance(error) && error.message).toContain('ECS does not know task');
  });

  it('cancel() stops the task with StopTask; wait() then reports Cancelled', async () => {
    const { handle, clients, arn } = await handleFor();
    await handle.cancel();
    expect(clients.ecs.inputsOf('StopTask')).toEqual([{ cluster: 'flows', task: arn, reason: 'Cancelled by flowenv' }]);
    expect(await handle.wait()).toEqual({ state: 'Cancelled', reason: 'Cancelled by flowenv' });
  });

  it('maps StopTask errors', async () => {
    const { handle, clients } = await handleFor();
    clients.ecs.fail('StopTask', awsError('AccessDeniedException', 'not authorized to perform ecs:StopTask'));
    const error = await handle.cancel().catch((caught: unknown) => caught);
    expect(FlowenvError.isInstance(error) && error.code).toBe('AWS_ACCESS_DENIED');
  });

  it('logs() reads what the stream has so far, without following', async () => {
    const { handle, clients, arn } = await handleFor();
    clients.logs.append('/flowenv/flows', `run/flow-container/${arn.split('/').pop()}`, 'one', 'two');
    const lines: string[] = [];
    for await (const line of handle.logs()) lines.push(line);
    expect(lines).toEqual(['one', 'two']);
  });

  it('logs({ follow: true }) waits for the stream, follows it and ends after the task stops', async () => {
    let rounds = 0;
    const stream = (arn: string) => `run/flow-container/${arn.split('/').pop()}`;
    const { handle, clients, arn } = await handleFor({
      sleep: async () => {
        rounds++;
        if (rounds === 1) clients.logs.append('/flowenv/flows', stream(arn), 'first');
        if (rounds === 2) {
          clients.logs.append('/flowenv/flows', stream(arn), 'second');
          clients.ecs.stopTask(arn, { containers: [{ name: 'flow-container', exitCode: 0 }] });
        }
      },
    });
    const lines: string[] = [];
    for await (const line of handle.logs({ follow: true })) lines.push(line);
    expect(lines).toEqual(['first', 'second']);
  });

  it('logs() yields nothing when the container does not use awslogs', async () => {
    const { handle } = await handleFor({ flowContainer: { name: 'flow-container' } });
    const lines: string[] = [];
    for await (const line of handle.logs({ follow: true })) lines.push(line);
    expect(lines).toEqual([]);
  });
});
