import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Flow, FlowenvError, FlowRunner, loadExecutor, loadFlow } from '@flowenv/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaskExecutor } from './dask-executor.js';

const sumFlowPath = fileURLToPath(new URL('./__fixtures__/sum-flow.ts', import.meta.url));

async function failureOf(promise: Promise<unknown>): Promise<FlowenvError> {
  try {
    await promise;
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a FlowenvError');
}

describe('DaskExecutor (no cluster needed)', () => {
  it('is what @flowenv/dask#DaskExecutor and the Prefect class path name', async () => {
    for (const specifier of ['@flowenv/dask#DaskExecutor', 'prefect.engine.executors.DaskExecutor']) {
      const executor = await loadExecutor(specifier, { address: 'tcp://127.0.0.1:8786', connectTimeoutMs: 500 });
      expect(executor).toBeInstanceOf(DaskExecutor);
      expect((executor as DaskExecutor).options).toMatchObject({ address: 'tcp://127.0.0.1:8786', connectTimeoutMs: 500 });
      await executor.close?.();
    }
  });

  it('refuses a flow built in memory: Dask workers load flows from module files', async () => {
    const flow = new Flow({ name: 'in-memory' });
    flow.task('a', () => 1);
    const executor = new DaskExecutor({ address: 'tcp://127.0.0.1:1', python: '/nonexistent/python3' });
    const error = await failureOf(new FlowRunner({ flow }).run({ executor }));
    expect(error.code).toBe('EXECUTOR_FAILED');
    expect(error.message).toContain('flow "in-memory" was built in memory');
    expect(error.message).toContain('module file');
    await executor.close();
  });

  it('says how to get Python when the interpreter does not exist', async () => {
    const executor = new DaskExecutor({ address: 'tcp://127.0.0.1:1', python: '/nonexistent/python3' });
    const error = await failureOf(new FlowRunner({ flow: await loadFlow(sumFlowPath) }).run({ executor }));
    expect(error.code).toBe('PROVIDER_NOT_INSTALLED');
    expect(error.message).toContain('Python was not found at "/nonexistent/python3"');
    await executor.close();
  });

  describe('with a Python that lacks distributed', () => {
    let directory: string;
    let previousPath: string | undefined;
    beforeAll(async () => {
      // A `distributed` package that shadows any real one and fails to import, as a missing one does.
      directory = await mkdtemp(join(tmpdir(), 'flowenv-no-distributed-'));
      await mkdir(join(directory, 'distributed'));
      await writeFile(join(directory, 'distributed', '__init__.py'), 'raise ModuleNotFoundError("No module named \'distributed\'", name="distributed")\n');
      previousPath = process.env['PYTHONPATH'];
      process.env['PYTHONPATH'] = directory;
    });
    afterAll(async () => {
      if (previousPath === undefined) delete process.env['PYTHONPATH'];
      else process.env['PYTHONPATH'] = previousPath;
      await rm(directory, { recursive: true, force: true });
    });

    it('says which package to install, for which interpreter', async () => {
      const executor = new DaskExecutor({ address: 'tcp://127.0.0.1:1', python: 'python3' });
      const error = await failureOf(new FlowRunner({ flow: await loadFlow(sumFlowPath) }).run({ executor }));
      expect(error.code).toBe('PROVIDER_NOT_INSTALLED');
      expect(error.message).toContain('python3 cannot import the Python package `distributed`');
      expect(error.message).toContain('python3 -m pip install distributed');
      await executor.close();
    }, 30_000);
  });

  it('closes the cluster it was given, even if it never ran, and refuses to run once closed', async () => {
    let closed = 0;
    const executor = new DaskExecutor({ cluster: { address: 'tcp://127.0.0.1:1', close: () => void closed++ } });
    await executor.close();
    expect(closed).toBe(1);
    const error = await failureOf(new FlowRunner({ flow: await loadFlow(sumFlowPath) }).run({ executor }));
    expect(error.message).toContain('this executor was closed');
  });
});
