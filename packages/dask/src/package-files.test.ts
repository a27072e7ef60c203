import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { daskRuntimeDirectoryVariable, daskRuntimeFiles, defaultTaskHostScript, pythonScript } from './package-files.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('runtime file resolution', () => {
  it('finds the files next to the package when FLOWENV_DASK_RUNTIME_DIR is unset', () => {
    vi.stubEnv(daskRuntimeDirectoryVariable, undefined);
    expect(pythonScript('bridge')).toMatch(/[/\\]dask[/\\]python[/\\]flowenv_dask_bridge\.py$/);
    expect(existsSync(pythonScript('cluster'))).toBe(true);
    expect(defaultTaskHostScript()).toMatch(/[/\\]dask[/\\]dist[/\\]task-host\.js$/);
  });

  it('finds them flat in FLOWENV_DASK_RUNTIME_DIR when it is set (images built by DockerStorage)', () => {
    vi.stubEnv(daskRuntimeDirectoryVariable, '/opt/flowenv/dask');
    expect(pythonScript('bridge')).toBe(join('/opt/flowenv/dask', 'flowenv_dask_bridge.py'));
    expect(pythonScript('cluster')).toBe(join('/opt/flowenv/dask', 'flowenv_dask_cluster.py'));
    expect(defaultTaskHostScript()).toBe(join('/opt/flowenv/dask', 'task-host.mjs'));
  });

  it('ignores an empty FLOWENV_DASK_RUNTIME_DIR', () => {
    vi.stubEnv(daskRuntimeDirectoryVariable, '');
    expect(pythonScript('worker')).toMatch(/[/\\]python[/\\]flowenv_dask_worker\.py$/);
  });
});

describe('daskRuntimeFiles', () => {
  it('names the three Python files and the task host entry module, all present in this install', () => {
    const files = daskRuntimeFiles();
    expect(files.directoryVariable).toBe('FLOWENV_DASK_RUNTIME_DIR');
    expect(files.pythonFiles.map((file) => basename(file))).toEqual(['flowenv_dask_bridge.py', 'flowenv_dask_cluster.py', 'flowenv_dask_worker.py']);
    for (const file of [...files.pythonFiles, files.taskHostModule]) expect(existsSync(file), file).toBe(true);
    expect(basename(files.taskHostModule)).toMatch(/^task-host\.(ts|js)$/);
    expect(files.taskHostFileName).toBe('task-host.mjs');
  });
});
