import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import type { Executor } from '../executor/executor.js';
import { LocalExecutor } from '../executor/local-executor.js';
import { Flow } from '../flow/flow.js';
import { LocalStorage } from '../storage/local-storage.js';
import { runLoadedFlow } from './run-loaded-flow.js';
import { runStoredFlow } from './run-stored-flow.js';

/** A LocalExecutor that records whether it was closed. */
function closingExecutor(): Executor & { closed: boolean } {
  const local = new LocalExecutor();
  const executor = { closed: false, execute: local.execute.bind(local), close: async () => void (executor.closed = true) };
  return executor;
}

const config = (env: Record<string, string> = {}): ReturnType<typeof loadConfig> => loadConfig({ env, userConfigPath: null });

describe('runLoadedFlow with an executor object', () => {
  it('runs the flow on it and closes it afterwards', async () => {
    const flow = new Flow({ name: 'f' });
    flow.task('a', () => 42);
    const executor = closingExecutor();
    const result = await runLoadedFlow(flow, { config: config(), runContext: { secrets: {} }, executor });
    expect(result.tasks['a']?.result).toBe(42);
    expect(executor.closed).toBe(true);
  });

  it('still closes it when a runner class cannot be loaded', async () => {
    const executor = closingExecutor();
    const run = runLoadedFlow(new Flow({ name: 'f' }), {
      config: config({ PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS: '@flowenv/nope#TaskRunner' }),
      runContext: { secrets: {} },
      executor,
    });
    await expect(run).rejects.toMatchObject({ code: 'EXECUTOR_NOT_FOUND' });
    expect(executor.closed).toBe(true);
  });
});

describe('runStoredFlow', () => {
  it('loads the flow from storage, runs it with the run context and returns a finished handle', async () => {
    const flow = new Flow({ name: 'stored' });
    flow.parameter('x', { default: 1 });
    flow.task('context', { upstream: { x: 'x' } }, ({ x }, context) => ({ x, runId: context.runContext.flowRunId }));
    const storage = new LocalStorage();
    storage.getFlow = async () => flow;
    const handle = await runStoredFlow(storage, 'anywhere', { parameters: { x: 5 }, runContext: { flowRunId: 'run-7' } }, { config: config() });
    expect(handle).toMatchObject({ kind: 'in-process', id: 'run-7' });
    const outcome = await handle.wait();
    expect(outcome.state).toBe('Success');
    expect(outcome.result?.tasks['context']?.result).toEqual({ x: 5, runId: 'run-7' });
  });
});
