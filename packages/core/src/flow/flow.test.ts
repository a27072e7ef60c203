import { describe, expect, it } from 'vitest';
import { FlowenvError } from '../errors/flowenv-error.js';
import { Flow } from './flow.js';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return FlowenvError.isInstance(error) ? error.code : 'not a FlowenvError';
  }
  return undefined;
}

describe('Flow', () => {
  it('requires a name', () => {
    expect(codeOf(() => new Flow({ name: '' }))).toBe('FLOW_INVALID');
  });

  it('records tasks with their upstream names and options', () => {
    const flow = new Flow({ name: 'f' });
    const x = flow.parameter('x', { default: 1 });
    const double = flow.task('double', { upstream: { x }, retries: 2, retryDelayMs: 5, timeoutMs: 100, cpu: true }, ({ x }) => x * 2);
    flow.task('by-name', { upstream: { value: 'double' } }, ({ value }) => value);
    expect(double.name).toBe('double');
    const task = flow.getTask('double');
    expect(task).toMatchObject({ kind: 'task', upstream: { x: 'x' }, retries: 2, retryDelayMs: 5, timeoutMs: 100, cpu: true });
    expect(flow.getTask('by-name').upstream).toEqual({ value: 'double' });
    expect(flow.parameters).toEqual([{ name: 'x', hasDefault: true, defaultValue: 1, required: false }]);
  });

  it('makes a parameter without default required, and honours required: true', () => {
    const flow = new Flow({ name: 'f' });
    flow.parameter('a');
    flow.parameter('b', { default: undefined });
    flow.parameter('c', { default: 1, required: true });
    expect(flow.parameters.map(({ name, required }) => [name, required])).toEqual([['a', true], ['b', false], ['c', true]]);
  });

  it('rejects duplicate names, missing functions and invalid task options', () => {
    const flow = new Flow({ name: 'f' });
    flow.task('a', () => 1);
    expect(codeOf(() => flow.task('a', () => 2))).toBe('FLOW_INVALID');
    expect(codeOf(() => flow.parameter('a'))).toBe('FLOW_INVALID');
    expect(codeOf(() => flow.task('b', {} as never, undefined as never))).toBe('FLOW_INVALID');
    expect(codeOf(() => flow.task('c', { retries: -1 }, () => 1))).toBe('FLOW_INVALID');
    expect(codeOf(() => flow.task('d', { retryDelayMs: 1.5 }, () => 1))).toBe('FLOW_INVALID');
    expect(codeOf(() => flow.task('e', { timeoutMs: 0 }, () => 1))).toBe('FLOW_INVALID');
  });

  it('orders tasks by dependency, keeping definition order among independent ones', () => {
    const flow = new Flow({ name: 'f' });
    flow.task('late', { upstream: { b: 'b' } }, () => 0);
    const a = flow.task('a', () => 0);
    flow.task('b', { upstream: { a } }, () => 0);
    flow.task('c', () => 0);
    const order = flow.validate().map((task) => task.name);
    expect(order.indexOf('a')).toBeLessThan(order.indexOf('b'));
    expect(order.indexOf('b')).toBeLessThan(order.indexOf('late'));
    expect(order).toEqual(['a', 'c', 'b', 'late']);
  });

  it('names an unknown upstream task', () => {
    const flow = new Flow({ name: 'f' });
    flow.task('a', { upstream: { value: 'ghost' } }, () => 0);
    expect(() => flow.validate()).toThrow('task "a" depends on unknown task "ghost"');
  });

  it('names the tasks of a dependency cycle', () => {
    const flow = new Flow({ name: 'f' });
    flow.task('free', () => 0);
    flow.task('a', { upstream: { value: 'b' } }, () => 0);
    flow.task('b', { upstream: { value: 'a' } }, () => 0);
    expect(() => flow.validate()).toThrow(/dependency cycle among tasks "a", "b"/);
  });

  it('recognises flows from another copy of the package by their marker', () => {
    const flow = new Flow({ name: 'f' });
    expect(Flow.isFlow(flow)).toBe(true);
    expect(Flow.isFlow({ name: 'f' })).toBe(false);
    expect(Flow.isFlow({ [Symbol.for('flowenv.flow')]: true })).toBe(true);
  });
});
