import { describe, expect, it } from 'vitest';
import { Flow } from '../flow/flow.js';
import { FlowRunner } from '../flow/flow-runner.js';
import { LocalExecutor } from './local-executor.js';

describe('LocalExecutor', () => {
  it('runs tasks one at a time in dependency order', async () => {
    const events: string[] = [];
    let running = 0;
    const flow = new Flow({ name: 'seq' });
    const step = (name: string) => async (): Promise<string> => {
      running++;
      events.push(`start ${name} (${running} running)`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return name;
    };
    const a = flow.task('a', step('a'));
    flow.task('b', step('b'));
    flow.task('c', { upstream: { a } }, step('c'));
    const result = await new FlowRunner({ flow }).run({ executor: new LocalExecutor() });
    expect(result.state).toBe('Success');
    expect(events).toEqual(['start a (1 running)', 'start b (1 running)', 'start c (1 running)']);
  });

  it('runs a 10,000-task chain without growing the stack', async () => {
    const flow = new Flow({ name: 'chain' });
    let previous = flow.task('t0', () => 0);
    for (let index = 1; index < 10_000; index++) {
      previous = flow.task(`t${index}`, { upstream: { value: previous } }, ({ value }) => value + 1);
    }
    const result = await new FlowRunner({ flow }).run({ executor: new LocalExecutor() });
    expect(result.tasks['t9999']?.result).toBe(9999);
  });
});
