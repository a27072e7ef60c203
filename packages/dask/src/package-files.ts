import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environmentVariable } from '@flowenv/core';

/**
 * The variable naming a folder that holds this package's runtime files flat: the three Python files
 * and {@link daskTaskHostFileName}. Images built by DockerStorage set it (`/opt/flowenv/dask`): a
 * bundled flow has no `python/` or `dist/` next to its module.
 */
export const daskRuntimeDirectoryVariable = 'FLOWENV_DASK_RUNTIME_DIR';

/** The Python halves, by role: the bridge (distributed.Client), the local cluster, the worker plugin. */
export const daskPythonFileNames = {
  bridge: 'flowenv_dask_bridge.py',
  cluster: 'flowenv_dask_cluster.py',
  worker: 'flowenv_dask_worker.py',
} as const;

/** The self-contained task host's file name inside the {@link daskRuntimeDirectoryVariable} folder. */
export const daskTaskHostFileName = 'task-host.mjs';

export type DaskPythonFile = keyof typeof daskPythonFileNames;

/**
 * What a storage ships so that workers can run tasks from a bundled flow: copy `pythonFiles` and a
 * self-contained bundle of `taskHostModule` (everything it imports included) as
 * `taskHostFileName` into one folder, and set `directoryVariable` to that folder.
 */
export interface DaskRuntimeFiles {
  directoryVariable: string;
  /** Absolute paths of the Python files on this machine. */
  pythonFiles: readonly string[];
  /** The task host's entry module on this machine (`src/task-host.ts` under the test runner, else `dist/task-host.js`). */
  taskHostModule: string;
  taskHostFileName: string;
}

/** The runtime files of this install of @flowenv/dask, for storages that build images. */
export function daskRuntimeFiles(): DaskRuntimeFiles {
  return {
    directoryVariable: daskRuntimeDirectoryVariable,
    pythonFiles: Object.values(daskPythonFileNames).map((name) => fileURLToPath(new URL(`../python/${name}`, import.meta.url))),
    // The module next to this one: the same file layout in src/ and dist/.
    taskHostModule: fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './task-host.ts' : './task-host.js', import.meta.url)),
    taskHostFileName: daskTaskHostFileName,
  };
}

/**
 * Absolute path of one Python file, as the processes and workers must see it: in the
 * FLOWENV_DASK_RUNTIME_DIR folder when that is set, else in this package's `python/`. A worker on
 * another machine needs it at the same path (the same image, in Prefect's model).
 */
export function pythonScript(file: DaskPythonFile, runtimeDirectory: string | undefined = configuredRuntimeDirectory()): string {
  const name = daskPythonFileNames[file];
  return runtimeDirectory === undefined ? fileURLToPath(new URL(`../python/${name}`, import.meta.url)) : join(runtimeDirectory, name);
}

/** The task host the workers start: FLOWENV_DASK_RUNTIME_DIR/task-host.mjs when set, else this package's dist/task-host.js. */
export function defaultTaskHostScript(runtimeDirectory: string | undefined = configuredRuntimeDirectory()): string {
  return runtimeDirectory === undefined ? fileURLToPath(new URL('../dist/task-host.js', import.meta.url)) : join(runtimeDirectory, daskTaskHostFileName);
}

function configuredRuntimeDirectory(): string | undefined {
  return environmentVariable(daskRuntimeDirectoryVariable) || undefined;
}
