import { describe, expect, it } from 'vitest';
import { Flow } from './flow.js';
import type { TaskState } from './state.js';
import { TaskRunner, type TaskRunEnvironment } from './task-runner.js';

function environment(states: Array<[string, TaskState]> = []): TaskRunEnvironment {
  return {
    flowName: 'f',
    parameters: { p: 1 },
    runContext: { secrets: {}, flowRunId: 'run-1' },
    onState: (name, state) => states.push([name, state]),
  };
}

const success = (result: unknown): TaskState => ({ state: 'Success', result, attempts: 1 });

describe('TaskRunner', () => {
  it('passes upstream results under their argument names, and the task context', async () => {
    const flow = new Flow({ name: 'f' });
    flow.task('sum', { upstream: { left: 'l', right: 'r' } }, ({ left, right }, context) => ({
      total: (left as number) + (right as number),
      task: context.taskName,
      attempt: context.attempt,
      parameter: context.parameters['p'],
      runId: context.runContext.flowRunId,
    }));
    const state = await new TaskRunner(flow.getTask('sum')).run({ left: success(2), right: success(3) }, environment());
    expect(state).toMatchObject({ state: 'Success', attempts: 1, result: { total: 5, task: 'sum', attempt: 1, parameter: 1, runId: 'run-1' } });
    expect(state.finishedAt).toBeGreaterThanOrEqual(state.startedAt as number);
  });

  it('does not run a task whose upstream did not succeed', async () => {
    const flow = new Flow({ name: 'f' });
    let ran = false;
    flow.task('t', { upstream: { value: 'u' } }, () => {
      ran = true;
    });
    const state = await new TaskRunner(flow.getTask('t')).run({ value: { state: 'Failed', attempts: 1 } }, environment());
    expect(ran).toBe(false);
    expect(state).toMatchObject({ state: 'UpstreamFailed', attempts: 0, message: 'Upstream task "u" ended in Failed' });
  });

  it('fails with the error name, message and stack', async () => {
    const flow = new Flow({ name: 'f' });
    flow.task('t', () => {
      throw new RangeError('out of range');
    });
    const state = await new TaskRunner(flow.getTask('t')).run({}, environment());
    expect(state.state).toBe('Failed');
    expect(state.error).toMatchObject({ name: 'RangeError', message: 'out of range' });
    expect(state.error?.stack).toContain('out of range');
  });

  it('retries after failures with the delay, reporting Retrying states, then succeeds', async () => {
    const flow = new Flow({ name: 'f' });
    const startedAt: number[] = [];
    flow.task('flaky', { retries: 2, retryDelayMs: 30 }, (_inputs, context) => {
      startedAt.push(Date.now());
      if (context.attempt < 3) throw new Error(`attempt ${context.attempt}`);
      return 'ok';
    });
    const states: Array<[string, TaskState]> = [];
    const state = await new TaskRunner(flow.getTask('flaky')).run({}, environment(states));
    expect(state).toMatchObject({ state: 'Success', result: 'ok', attempts: 3 });
    expect(states.map(([, s]) => s.state)).toEqual(['Running', 'Retrying', 'Retrying', 'Success']);
    expect((startedAt[1] as number) - (startedAt[0] as number)).toBeGreaterThanOrEqual(25);
  });

  it('gives up after the last retry', async () => {
    const flow = new Flow({ name: 'f' });
    flow.task('broken', { retries: 1 }, () => {
      throw new Error('always');
    });
    const state = await new TaskRunner(flow.getTask('broken')).run({}, environment());
    expect(state).toMatchObject({ state: 'Failed', attempts: 2, message: 'always' });
  });

  it('times an attempt out, aborts its signal, and retries timeouts', async () => {
    const flow = new Flow({ name: 'f' });
    const aborted: boolean[] = [];
    flow.task('slow', { timeoutMs: 20, retries: 1 }, async (_inputs, context) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      aborted.push(context.signal.aborted);
      return 'late';
    });
    const state = await new TaskRunner(flow.getTask('slow')).run({}, environment());
    expect(state).toMatchObject({ state: 'TimedOut', attempts: 2 });
    expect(state.error?.message).toBe('Task "slow" timed out after 20 ms');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(aborted).toEqual([true, true]);
  });

  it('lets a task finish within its timeout', async () => {
    const flow = new Flow({ name: 'f' });
    flow.task('quick', { timeoutMs: 1000 }, async () => 'done');
    expect(await new TaskRunner(flow.getTask('quick')).run({}, environment())).toMatchObject({ state: 'Success', result: 'done' });
  });
});
