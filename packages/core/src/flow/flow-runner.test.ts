import { describe, expect, it } from 'vitest';
import { FlowenvError } from '../errors/flowenv-error.js';
import type { Executor } from '../executor/executor.js';
import { Flow } from './flow.js';
import { FlowRunner, resolveParameters } from './flow-runner.js';
import { TaskRunner } from './task-runner.js';

function diamond(record: string[] = []): Flow {
  const flow = new Flow({ name: 'diamond' });
  const n = flow.parameter('n', { default: 2 });
  const left = flow.task('left', { upstream: { n } }, ({ n }) => {
    record.push('left');
    return n + 1;
  });
  const right = flow.task('right', { upstream: { n } }, ({ n }) => {
    record.push('right');
    return n * 10;
  });
  flow.task('join', { upstream: { left, right } }, ({ left, right }) => {
    record.push('join');
    return left + right;
  });
  return flow;
}

describe('FlowRunner', () => {
  it('runs every task and reports each state and the flow state', async () => {
    const result = await new FlowRunner({ flow: diamond() }).run({ parameters: { n: 5 } });
    expect(result.state).toBe('Success');
    expect(result.message).toBe('All 4 tasks succeeded');
    expect(Object.keys(result.tasks)).toEqual(['n', 'left', 'right', 'join']);
    expect(result.tasks['join']).toMatchObject({ state: 'Success', result: 56 });
    expect(result.parameters).toEqual({ n: 5 });
  });

  it('uses parameter defaults', async () => {
    const result = await new FlowRunner({ flow: diamond() }).run();
    expect(result.tasks['join']?.result).toBe(23);
  });

  it('fails the flow when a task fails and skips its downstream tasks', async () => {
    const flow = new Flow({ name: 'f' });
    const a = flow.task('a', () => {
      throw new Error('boom');
    });
    flow.task('b', { upstream: { a } }, () => 'never');
    flow.task('c', () => 'independent');
    const result = await new FlowRunner({ flow }).run();
    expect(result.state).toBe('Failed');
    expect(result.tasks['a']?.state).toBe('Failed');
    expect(result.tasks['b']?.state).toBe('UpstreamFailed');
    expect(result.tasks['c']?.state).toBe('Success');
    expect(result.message).toBe('2 of 3 tasks did not succeed: a, b');
  });

  it('refuses a missing required parameter before any task runs', async () => {
    const record: string[] = [];
    const flow = new Flow({ name: 'f' });
    flow.parameter('needed');
    flow.task('t', () => record.push('ran'));
    const run = new FlowRunner({ flow }).run();
    await expect(run).rejects.toMatchObject({ code: 'PARAMETER_MISSING' });
    await expect(run).rejects.toThrow('needs a value for required parameter "needed"');
    expect(record).toEqual([]);
  });

  it('refuses unknown parameters, naming the known ones', () => {
    expect(() => resolveParameters(diamond(), { m: 1 })).toThrow('Flow "diamond" has no parameter "m" (parameters: n)');
    try {
      resolveParameters(diamond(), { m: 1 });
    } catch (error) {
      expect(FlowenvError.isInstance(error) && error.code).toBe('PARAMETER_UNKNOWN');
    }
  });

  it('refuses a graph with a cycle before any task runs', async () => {
    const record: string[] = [];
    const flow = new Flow({ name: 'f' });
    flow.task('free', () => record.push('ran'));
    flow.task('a', { upstream: { b: 'b' } }, () => 0);
    flow.task('b', { upstream: { a: 'a' } }, () => 0);
    await expect(new FlowRunner({ flow }).run()).rejects.toMatchObject({ code: 'FLOW_INVALID' });
    expect(record).toEqual([]);
  });

  it('reports task progress through onTaskState', async () => {
    const seen: string[] = [];
    await new FlowRunner({ flow: diamond() }).run({ onTaskState: (name, state) => seen.push(`${name}:${state.state}`) });
    expect(seen).toContain('join:Running');
    expect(seen.at(-1)).toBe('join:Success');
  });

  it('hands the executor a plan with the flow location, parameters and run context', async () => {
    let seenPlan: unknown;
    const executor: Executor = {
      async execute(plan, runtime) {
        seenPlan = plan;
        const states = new Map();
        for (const task of plan.tasks) states.set(task.name, await runtime.runTask(task.name, {}));
        return states;
      },
    };
    const flow = new Flow({ name: 'p' });
    flow.parameter('x', { default: 1 });
    flow.location = '/flows/p.ts';
    await new FlowRunner({ flow }).run({ executor, runContext: { secrets: {}, flowRunId: 'r' } });
    expect(seenPlan).toMatchObject({
      flowName: 'p',
      flowLocation: '/flows/p.ts',
      tasks: [{ name: 'x', upstream: {}, cpu: false }],
      parameters: { x: 1 },
      runContext: { flowRunId: 'r', parameters: { x: 1 } },
    });
  });

  it('wraps an executor crash in a FlowenvError that keeps the cause', async () => {
    const crash = new Error('cluster gone');
    const executor: Executor = { execute: () => Promise.reject(crash) };
    const run = new FlowRunner({ flow: diamond() }).run({ executor });
    await expect(run).rejects.toMatchObject({ code: 'EXECUTOR_FAILED', cause: crash });
  });

  it('builds tasks with the task runner class it is given', async () => {
    const used: string[] = [];
    class CountingTaskRunner extends TaskRunner {
      override run(...args: Parameters<TaskRunner['run']>): ReturnType<TaskRunner['run']> {
        used.push(this.task.name);
        return super.run(...args);
      }
    }
    await new FlowRunner({ flow: diamond(), taskRunnerClass: CountingTaskRunner }).run();
    expect(used).toEqual(['n', 'left', 'right', 'join']);
  });
});
