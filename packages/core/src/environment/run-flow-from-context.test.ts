import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { runFlowFromContext } from './run-flow-from-context.js';

const flowFile = fileURLToPath(new URL('../__fixtures__/context-flow.ts', import.meta.url));

function config(extra: Record<string, string> = {}): ReturnType<typeof loadConfig> {
  return loadConfig({ env: { PREFECT__CONTEXT__FLOW_FILE_PATH: flowFile, PREFECT__CONTEXT__FLOW_RUN_ID: '12345', ...extra }, userConfigPath: null });
}

describe('runFlowFromContext (spec 2.4 run_flow)', () => {
  it('loads the flow from the context path and runs it with the context, secrets fetched by name', async () => {
    const result = await runFlowFromContext({ hooks: {}, config: config({ PREFECT__CONTEXT__SECRETS__API_KEY: 'key-value' }) });
    expect(result.state).toBe('Success');
    expect(result.tasks['inspect']?.result).toEqual({ flowRunId: '12345', apiKey: 'key-value' });
  });

  it('uses the executor the config names, with the given options', async () => {
    const result = await runFlowFromContext({
      hooks: {},
      executorOptions: { maxConcurrency: 1 },
      config: config({ PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS: '@flowenv/core#LocalParallelExecutor', PREFECT__CONTEXT__SECRETS__API_KEY: 'k' }),
    });
    expect(result.state).toBe('Success');
    await expect(runFlowFromContext({ hooks: {}, config: config({ PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS: '@flowenv/nope#X', PREFECT__CONTEXT__SECRETS__API_KEY: 'k' }) }))
      .rejects.toMatchObject({ code: 'EXECUTOR_NOT_FOUND' });
  });

  it('fails clearly when a storage secret is missing, after onExit', async () => {
    const calls: string[] = [];
    await expect(runFlowFromContext({ hooks: { onExit: () => void calls.push('exit') }, config: config() })).rejects.toMatchObject({ code: 'SECRET_NOT_FOUND' });
    expect(calls).toEqual(['exit']);
  });

  it('needs PREFECT__CONTEXT__FLOW_FILE_PATH (no stale default path, spec 9.19)', async () => {
    await expect(runFlowFromContext({ hooks: {}, config: loadConfig({ env: {}, userConfigPath: null }) })).rejects.toThrow(
      'No flow file to run: set PREFECT__CONTEXT__FLOW_FILE_PATH',
    );
  });
});
