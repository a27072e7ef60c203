import type { FlowRunResult, TaskState } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { formatDuration, formatRunSummary, formatTaskProgress } from './format-run.js';

function result(tasks: Record<string, TaskState>, overrides: Partial<FlowRunResult> = {}): FlowRunResult {
  const failed = Object.values(tasks).some((state) => state.state !== 'Success');
  return {
    flowName: 'demo',
    state: failed ? 'Failed' : 'Success',
    message: '',
    parameters: {},
    tasks,
    startedAt: 1_000,
    finishedAt: 1_250,
    ...overrides,
  };
}

const success = (value: unknown): TaskState => ({ state: 'Success', result: value, attempts: 1 });

describe('formatDuration', () => {
  it('shows milliseconds under a second and seconds with two decimals above', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(999)).toBe('999 ms');
    expect(formatDuration(1000)).toBe('1.00 s');
    expect(formatDuration(61_234)).toBe('61.23 s');
  });
});

describe('formatTaskProgress', () => {
  it('writes no line for Running and Pending', () => {
    expect(formatTaskProgress('t', { state: 'Running', attempts: 0 })).toBeUndefined();
    expect(formatTaskProgress('t', { state: 'Pending', attempts: 0 })).toBeUndefined();
  });

  it('writes a success with its duration and no detail', () => {
    expect(formatTaskProgress('load', { state: 'Success', attempts: 1, startedAt: 10, finishedAt: 42, result: 'x' }))
      .toBe('✔ Success        load (32 ms)');
  });

  it('writes the message of other states', () => {
    expect(formatTaskProgress('load', { state: 'Failed', attempts: 2, startedAt: 0, finishedAt: 1500, message: 'boom' }))
      .toBe('✖ Failed         load (1.50 s): boom');
    expect(formatTaskProgress('load', { state: 'Retrying', attempts: 1, message: 'Attempt 1 of 2 failed' }))
      .toBe('↻ Retrying       load: Attempt 1 of 2 failed');
    expect(formatTaskProgress('next', { state: 'UpstreamFailed', attempts: 0, message: 'Upstream task "load" ended in Failed' }))
      .toBe('↷ UpstreamFailed next: Upstream task "load" ended in Failed');
    expect(formatTaskProgress('slow', { state: 'TimedOut', attempts: 1 })).toBe('⏱ TimedOut       slow');
  });
});

describe('formatRunSummary', () => {
  it('prints a table of the tasks and a totals line', () => {
    const summary = formatRunSummary(result({ a: success('x'), b: success(2) }));
    expect(summary.split('\n')).toEqual([
      'task  state    attempts  result / error',
      '────  ───────  ────────  ──────────────',
      'a     Success  1         "x"',
      'b     Success  1         2',
      '',
      'Flow "demo": Success in 250 ms — 2 Success',
    ]);
  });

  it('lists the tasks that did not succeed first, with their error', () => {
    const summary = formatRunSummary(result({
      a: success(1),
      b: { state: 'Failed', attempts: 3, message: 'boom', error: { name: 'TypeError', message: 'boom' } },
      c: { state: 'UpstreamFailed', attempts: 0, message: 'Upstream task "b" ended in Failed' },
    }));
    const lines = summary.split('\n');
    expect(lines[2]).toMatch(/^b\s+Failed\s+3\s+TypeError: boom$/);
    expect(lines[3]).toMatch(/^c\s+UpstreamFailed\s+0\s+Upstream task "b" ended in Failed$/);
    expect(lines[4]).toMatch(/^a\s+Success\s+1\s+1$/);
    expect(lines.at(-1)).toBe('Flow "demo": Failed in 250 ms — 1 Success, 1 Failed, 1 UpstreamFailed');
  });

  it('shows undefined results and truncates long ones to one line of at most 48 characters', () => {
    const summary = formatRunSummary(result({ nothing: success(undefined), long: success(`line one\n${'x'.repeat(100)}`) }));
    const lines = summary.split('\n');
    expect(lines[2]).toMatch(/^nothing\s+Success\s+1\s+undefined$/);
    const cell = (lines[3] as string).slice((lines[3] as string).indexOf('"line'));
    expect(cell).toHaveLength(48);
    expect(cell.startsWith('"line one\\nxxx')).toBe(true);
    expect(cell.endsWith('…')).toBe(true);
  });

  it('collapses whitespace in errors so each task stays on one line', () => {
    const summary = formatRunSummary(result({ a: { state: 'Failed', attempts: 1, error: { name: 'Error', message: 'first\n  second' } } }));
    expect(summary.split('\n')[2]).toMatch(/^a\s+Failed\s+1\s+Error: first second$/);
  });

  it('shows at most maxRows tasks but always every task that did not succeed', () => {
    const tasks: Record<string, TaskState> = {};
    for (let index = 0; index < 5; index++) tasks[`ok-${index}`] = success(index);
    tasks['bad-1'] = { state: 'Failed', attempts: 1, message: 'x' };
    tasks['bad-2'] = { state: 'Failed', attempts: 1, message: 'y' };
    tasks['bad-3'] = { state: 'TimedOut', attempts: 1, message: 'z' };

    const lines = formatRunSummary(result(tasks), 4).split('\n');
    const rows = lines.slice(2, lines.indexOf(''));
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(['bad-1', 'bad-2', 'bad-3', 'ok-0', '…']);
    expect(rows.at(-1)).toBe('… and 4 more successful tasks');

    const onlyFailures = formatRunSummary(result(tasks), 2).split('\n');
    expect(onlyFailures.filter((line) => /^bad-/.test(line))).toHaveLength(3);
    expect(onlyFailures).toContain('… and 5 more successful tasks');
  });

  it('says so when the flow has no tasks', () => {
    expect(formatRunSummary(result({})).split('\n').at(-1)).toBe('Flow "demo": Success in 250 ms — no tasks');
  });
});
