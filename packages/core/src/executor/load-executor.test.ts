import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Flow } from '../flow/flow.js';
import { FlowRunner } from '../flow/flow-runner.js';
import { canonicalExecutorSpecifier, loadExecutor } from './load-executor.js';
import { LocalExecutor } from './local-executor.js';
import { LocalParallelExecutor } from './local-parallel-executor.js';
import { parseModuleSpecifier } from './load-module-export.js';

const fixtures = fileURLToPath(new URL('../__fixtures__/', import.meta.url));

describe('loadExecutor', () => {
  it('builds core executors by specifier, with options', async () => {
    expect(await loadExecutor('@flowenv/core#LocalExecutor')).toBeInstanceOf(LocalExecutor);
    const parallel = await loadExecutor('@flowenv/core#LocalParallelExecutor', { maxConcurrency: 3 });
    expect(parallel).toBeInstanceOf(LocalParallelExecutor);
    expect((parallel as LocalParallelExecutor).maxConcurrency).toBe(3);
  });

  it('maps Prefect class paths to flowenv executors', async () => {
    expect(await loadExecutor('prefect.engine.executors.LocalExecutor')).toBeInstanceOf(LocalExecutor);
    expect(canonicalExecutorSpecifier('prefect.engine.executors.DaskExecutor')).toBe('@flowenv/dask#DaskExecutor');
  });

  it('loads an executor from a user module relative to the working directory', async () => {
    const executor = await loadExecutor('./custom-executor.mjs#RecordingExecutor', { depth: 1 }, fixtures);
    const flow = new Flow({ name: 'f' });
    flow.task('a', () => 1);
    const result = await new FlowRunner({ flow }).run({ executor });
    expect(result.state).toBe('Success');
    const module = (await import(`${fixtures}custom-executor.mjs`)) as { calls: unknown[] };
    expect(module.calls).toEqual([{ options: { depth: 1 }, tasks: ['a'] }]);
  });

  it('refuses what it cannot load, naming the module (0.11 fell back to LocalExecutor)', async () => {
    await expect(loadExecutor('@flowenv/not-installed#X')).rejects.toMatchObject({
      code: 'EXECUTOR_NOT_FOUND',
      message: 'Could not load executor "@flowenv/not-installed#X": module "@flowenv/not-installed" is not installed (npm install @flowenv/not-installed)',
    });
    await expect(loadExecutor('./custom-executor.mjs#Missing', {}, fixtures)).rejects.toThrow('has no export "Missing"');
    await expect(loadExecutor('./custom-executor.mjs#notAClass', {}, fixtures)).rejects.toThrow('is not a class');
    await expect(loadExecutor('LocalExecutor')).rejects.toThrow('expected "module#Export"');
  });

  it('parses module specifiers', () => {
    expect(parseModuleSpecifier('@flowenv/dask#DaskExecutor')).toEqual({ module: '@flowenv/dask', exportName: 'DaskExecutor' });
    expect(parseModuleSpecifier('#X')).toBeUndefined();
    expect(parseModuleSpecifier('module#')).toBeUndefined();
  });
});
