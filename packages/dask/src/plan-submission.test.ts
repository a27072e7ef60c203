import type { ExecutionPlan } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { planSubmission } from './plan-submission.js';

const plan: ExecutionPlan & { flowLocation: string } = {
  flowName: 'fan',
  flowLocation: '/flows/fan.ts',
  tasks: [
    { name: 'n', upstream: {}, cpu: false },
    { name: 'a', upstream: { n: 'n' }, cpu: false },
    { name: 'b', upstream: { n: 'n' }, cpu: false },
    { name: 'sum', upstream: { left: 'a', right: 'b', again: 'a' }, cpu: false },
  ],
  parameters: { n: 3 },
  runContext: { secrets: { TOKEN: 'x' }, flowRunId: 'run-1', parameters: { n: 3 } },
};

describe('planSubmission', () => {
  it('submits every task at once, in plan order, keyed per run, with upstream keys per argument', () => {
    const { submit, taskOfKey } = planSubmission(plan, 'r1');
    expect(submit).toEqual({
      op: 'submit',
      run: 'r1',
      tasks: [
        { key: 'n-r1', task: 'n', upstream: [] },
        { key: 'a-r1', task: 'a', upstream: [['n', 'n-r1']] },
        { key: 'b-r1', task: 'b', upstream: [['n', 'n-r1']] },
        { key: 'sum-r1', task: 'sum', upstream: [['left', 'a-r1'], ['right', 'b-r1'], ['again', 'a-r1']] },
      ],
    });
    expect([...taskOfKey]).toEqual([['n-r1', 'n'], ['a-r1', 'a'], ['b-r1', 'b'], ['sum-r1', 'sum']]);
    expect(planSubmission(plan, 'r2').submit.tasks[0]?.key).toBe('n-r2');
  });

  it('describes the run once, as JSON text the worker passes on untouched', () => {
    const { run } = planSubmission(plan, 'r1');
    expect(run.op).toBe('run');
    expect(run.run).toBe('r1');
    expect(JSON.parse(run.runText)).toEqual({
      flowLocation: '/flows/fan.ts',
      parameters: { n: 3 },
      runContext: { secrets: { TOKEN: 'x' }, flowRunId: 'run-1', parameters: { n: 3 } },
    });
  });
});
