import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowenvError } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { buildContextEntries } from './build-context.js';
import { bundleDaskRuntime, needsDaskRuntime } from './bundle-dask-runtime.js';

describe('needsDaskRuntime', () => {
  it('is true when the environment depends on @flowenv/dask or the bundle contains it', () => {
    expect(needsDaskRuntime({ dependencies: ['@kubernetes/client-node', '@flowenv/dask'], bundledPackages: [] })).toBe(true);
    expect(needsDaskRuntime({ dependencies: [], bundledPackages: ['@flowenv/core', '@flowenv/dask'] })).toBe(true);
    expect(needsDaskRuntime({ dependencies: ['@kubernetes/client-node'], bundledPackages: ['@flowenv/core'] })).toBe(false);
  });
});

describe('bundleDaskRuntime', () => {
  it("ships @flowenv/dask's Python files and a self-contained task host into /opt/flowenv/dask", async () => {
    const runtime = await bundleDaskRuntime({ conditions: ['@flowenv/source'] });
    expect(runtime.env).toEqual({ FLOWENV_DASK_RUNTIME_DIR: '/opt/flowenv/dask' });
    expect(runtime.files.map((file) => file.path)).toEqual([
      '/opt/flowenv/dask/flowenv_dask_bridge.py',
      '/opt/flowenv/dask/flowenv_dask_cluster.py',
      '/opt/flowenv/dask/flowenv_dask_worker.py',
      '/opt/flowenv/dask/task-host.mjs',
      '/opt/flowenv/dask/task-host.mjs.map',
    ]);
    const taskHost = runtime.files.find((file) => file.path.endsWith('task-host.mjs'))?.contents ?? '';
    // Everything bundled in: the image has no node_modules.
    expect(taskHost).not.toMatch(/from ['"]@flowenv\//);
    expect(taskHost).toContain('runFlowTask');
    // Kept in their sub-folder of the build context's runtime/ (→ /opt/flowenv/).
    const entries = buildContextEntries({
      dockerfile: '',
      runtime: runtime.files,
      commandScript: '',
      flowFiles: [],
      flowsDirectory: '/opt/prefect/flows',
      healthCheckPlan: { flows: [], command: '/usr/local/bin/flowenv' },
      extraFiles: [],
    });
    expect(entries.map((entry) => entry.path)).toContain('runtime/dask/task-host.mjs');
  }, 60_000);

  it('says to install @flowenv/dask when it cannot be found', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'flowenv-no-dask-'));
    try {
      const error = await bundleDaskRuntime({ resolveFrom: [empty] }).catch((caught: unknown) => caught);
      expect(FlowenvError.isInstance(error) && error.code).toBe('PROVIDER_NOT_INSTALLED');
      expect((error as Error).message).toContain('npm install @flowenv/dask');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
