import { threadId } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Flow } from '../flow/flow.js';
import { FlowRunner } from '../flow/flow-runner.js';
import { loadFlow } from '../flow/load-flow.js';
import { LocalParallelExecutor } from './local-parallel-executor.js';

const threadedFlowPath = fileURLToPath(new URL('../__fixtures__/threaded-flow.ts', import.meta.url));

function fanOut(count: number, observe: { running: number; peak: number }): Flow {
  const flow = new Flow({ name: 'fan' });
  const refs = Array.from({ length: count }, (_, index) =>
    flow.task(`io-${index}`, async () => {
      observe.running++;
      observe.peak = Math.max(observe.peak, observe.running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      observe.running--;
      return index;
    }));
  flow.task('sum', { upstream: Object.fromEntries(refs.map((ref, index) => [`v${index}`, ref])) }, (inputs) =>
    Object.values(inputs).reduce((total: number, value) => total + (value as number), 0));
  return flow;
}

describe('LocalParallelExecutor', () => {
  it('runs independent tasks concurrently and joins them', async () => {
    const observe = { running: 0, peak: 0 };
    const started = Date.now();
    const result = await new FlowRunner({ flow: fanOut(10, observe) }).run({ executor: new LocalParallelExecutor() });
    expect(result.tasks['sum']?.result).toBe(45);
    expect(observe.peak).toBe(10);
    expect(Date.now() - started).toBeLessThan(10 * 20);
  });

  it('keeps at most maxConcurrency tasks in flight', async () => {
    const observe = { running: 0, peak: 0 };
    const result = await new FlowRunner({ flow: fanOut(9, observe) }).run({ executor: new LocalParallelExecutor({ maxConcurrency: 3 }) });
    expect(result.state).toBe('Success');
    expect(observe.peak).toBe(3);
  });

  it('skips the downstream of a failed task and still finishes', async () => {
    const flow = new Flow({ name: 'f' });
    const bad = flow.task('bad', async () => {
      throw new Error('no');
    });
    flow.task('after', { upstream: { bad } }, () => 1);
    flow.task('other', async () => 2);
    const result = await new FlowRunner({ flow }).run({ executor: new LocalParallelExecutor() });
    expect(Object.fromEntries(Object.entries(result.tasks).map(([name, state]) => [name, state.state]))).toEqual({
      bad: 'Failed',
      after: 'UpstreamFailed',
      other: 'Success',
    });
  });

  it('rejects invalid options with the field name', () => {
    expect(() => new LocalParallelExecutor({ maxConcurrency: 0 })).toThrow('`maxConcurrency` must be an integer >= 1');
    expect(() => new LocalParallelExecutor({ threads: -1 })).toThrow('`threads` must be an integer >= 0');
  });

  it('runs cpu tasks of a flow module on worker threads', async () => {
    const flow = await loadFlow(threadedFlowPath);
    const result = await new FlowRunner({ flow }).run({ executor: new LocalParallelExecutor({ threads: 2 }) });
    expect(result.message).toBe('All 8 tasks succeeded');
    const joined = result.tasks['main-thread']?.result as { threadId: number; threads: number[] };
    expect(joined.threadId).toBe(threadId);
    for (const id of joined.threads) expect(id).not.toBe(threadId);
    expect(new Set(joined.threads).size).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('fails a task whose thread dies with its exit code, and keeps running the others', async () => {
    const flow = await loadFlow(threadedFlowPath);
    const result = await new FlowRunner({ flow }).run({
      parameters: { shouldCrash: true, size: 1000 },
      executor: new LocalParallelExecutor({ threads: 2 }),
    });
    expect(result.tasks['crash']).toMatchObject({ state: 'Failed', message: "The task's worker thread exited with code 7" });
    expect(result.tasks['main-thread']?.state).toBe('Success');
  }, 30_000);

  it('runs cpu tasks in the main thread when threads is 0', async () => {
    const flow = await loadFlow(threadedFlowPath);
    const result = await new FlowRunner({ flow }).run({ parameters: { size: 10 }, executor: new LocalParallelExecutor({ threads: 0 }) });
    const joined = result.tasks['main-thread']?.result as { threads: number[] };
    expect(joined.threads.every((id) => id === threadId)).toBe(true);
  });
});
