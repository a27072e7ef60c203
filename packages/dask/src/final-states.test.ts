import type { ExecutionPlan, TaskState } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { finalStates, type TaskOutcome } from './final-states.js';

const plan: ExecutionPlan = {
  flowName: 'f',
  flowLocation: '/flows/f.ts',
  tasks: [
    { name: 'a', upstream: {}, cpu: false },
    { name: 'b', upstream: { a: 'a' }, cpu: false },
    { name: 'c', upstream: { b: 'b' }, cpu: false },
    { name: 'd', upstream: {}, cpu: false },
  ],
  parameters: {},
  runContext: { secrets: {} },
};
const success = (result: unknown): TaskOutcome => ({ kind: 'state', state: { state: 'Success', result, attempts: 1 } });
const daskError: TaskOutcome = { kind: 'dask-error', name: 'FileNotFoundError', message: "No such file or directory: 'node'", traceback: 'Traceback …' };

describe('finalStates', () => {
  it('passes the task hosts\' states through, in plan order', () => {
    const failed: TaskState = { state: 'Failed', attempts: 1, message: 'boom', error: { name: 'TypeError', message: 'boom' } };
    const states = finalStates(plan, new Map<string, TaskOutcome>([
      ['d', success(4)],
      ['c', { kind: 'state', state: { state: 'UpstreamFailed', attempts: 0 } }],
      ['b', { kind: 'state', state: failed }],
      ['a', success(1)],
    ]));
    expect([...states.keys()]).toEqual(['a', 'b', 'c', 'd']);
    expect(states.get('b')).toBe(failed);
    expect(states.get('d')?.result).toBe(4);
  });

  it('fails the task where a Dask-level error happened and marks the tasks Dask failed with it UpstreamFailed', () => {
    const states = finalStates(plan, new Map<string, TaskOutcome>([['a', success(1)], ['b', daskError], ['c', daskError], ['d', success(4)]]));
    expect(states.get('b')).toEqual({
      state: 'Failed',
      attempts: 0,
      message: "Dask could not run the task: FileNotFoundError: No such file or directory: 'node'",
      error: { name: 'FileNotFoundError', message: "No such file or directory: 'node'", stack: 'Traceback …' },
    });
    expect(states.get('c')).toEqual({ state: 'UpstreamFailed', attempts: 0, message: 'Upstream task "b" ended in Failed' });
    expect(states.get('d')?.state).toBe('Success');
  });

  it('fails a task Dask reported nothing for', () => {
    expect(finalStates(plan, new Map([['a', success(1)]])).get('d')).toEqual({
      state: 'Failed',
      attempts: 0,
      message: 'Dask reported nothing for this task',
    });
  });
});
