import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, posix } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FlowenvError } from '@flowenv/core';
import type { BundledFile } from './bundle-flow.js';
import { bundleModule } from './bundle-module.js';
import { daskRuntimeDirectory } from './image-layout.js';

/** The package whose worker-side files an image needs when a flow runs tasks on Dask workers. */
export const daskPackageName = '@flowenv/dask';

/**
 * What @flowenv/dask's daskRuntimeFiles() returns (typed here: this package never imports
 * @flowenv/dask, an optional peer, at module level).
 */
export interface DaskRuntimeFilesDescription {
  directoryVariable: string;
  pythonFiles: readonly string[];
  taskHostModule: string;
  taskHostFileName: string;
}

export interface DaskRuntime {
  /** The Python files and the bundled task host, with their paths in the image (under /opt/flowenv/dask). */
  files: BundledFile[];
  /** The variable that points @flowenv/dask at them: `FLOWENV_DASK_RUNTIME_DIR=/opt/flowenv/dask`. */
  env: Record<string, string>;
}

export interface BundleDaskRuntimeRequest {
  /** Folders to resolve `@flowenv/dask` from, in order (default: this package's folder, then the current directory). */
  resolveFrom?: readonly string[] | undefined;
  conditions?: readonly string[] | undefined;
  target?: string | undefined;
  /** The runtime files to ship (default: those of the @flowenv/dask found from `resolveFrom`). */
  describe?: (() => Promise<DaskRuntimeFilesDescription>) | undefined;
}

/**
 * @flowenv/dask's worker-side files for an image: its Python bridge, cluster and worker plugin, and
 * its Node task host bundled with everything it imports (the image has no node_modules), all in
 * {@link daskRuntimeDirectory}, and the variable that makes @flowenv/dask look there.
 */
export async function bundleDaskRuntime(request: BundleDaskRuntimeRequest = {}): Promise<DaskRuntime> {
  const conditions = request.conditions ?? [];
  const description = await (request.describe ?? (() => describeInstalledDask(request.resolveFrom ?? defaultFolders(), conditions)))();
  const taskHost = await bundleModule({
    entry: { path: description.taskHostModule },
    outputName: description.taskHostFileName,
    workingDirectory: dirname(description.taskHostModule),
    conditions,
    target: request.target,
  });
  const python = await Promise.all(
    description.pythonFiles.map(async (file) => ({ path: posix.join(daskRuntimeDirectory, basename(file)), contents: await readFile(file, 'utf8') })),
  );
  const taskHostPath = posix.join(daskRuntimeDirectory, description.taskHostFileName);
  return {
    files: [...python, { path: taskHostPath, contents: taskHost.code }, { path: `${taskHostPath}.map`, contents: taskHost.map }],
    env: { [description.directoryVariable]: daskRuntimeDirectory },
  };
}

/** True when a flow runs on Dask workers: its environment depends on @flowenv/dask, or its bundle contains it. */
export function needsDaskRuntime(flow: { dependencies: readonly string[]; bundledPackages: readonly string[] }): boolean {
  return flow.dependencies.includes(daskPackageName) || flow.bundledPackages.includes(daskPackageName);
}

function defaultFolders(): string[] {
  return [dirname(fileURLToPath(import.meta.url)), process.cwd()];
}

/**
 * Loads daskRuntimeFiles() from the first @flowenv/dask found, through the entry its package.json
 * exports for `conditions` (the test runner's `@flowenv/source`), else its default entry.
 */
async function describeInstalledDask(folders: readonly string[], conditions: readonly string[]): Promise<DaskRuntimeFilesDescription> {
  const packageJsonPath = findDask(folders);
  const manifest = JSON.parse(await readFile(packageJsonPath, 'utf8')) as { exports?: Record<string, Record<string, string> | string> };
  const root = manifest.exports?.['.'];
  const entry = typeof root === 'string' ? root : [...conditions, 'import', 'default'].map((condition) => root?.[condition]).find((value) => value !== undefined);
  if (entry === undefined) {
    throw new FlowenvError({ code: 'PROVIDER_NOT_INSTALLED', message: `${packageJsonPath} exports no entry DockerStorage can load; reinstall @flowenv/dask` });
  }
  const module = (await import(pathToFileURL(join(dirname(packageJsonPath), entry)).href)) as { daskRuntimeFiles?: () => DaskRuntimeFilesDescription };
  if (typeof module.daskRuntimeFiles !== 'function') {
    throw new FlowenvError({
      code: 'PROVIDER_NOT_INSTALLED',
      message: `The @flowenv/dask at ${dirname(packageJsonPath)} is too old to ship its worker files into an image (no daskRuntimeFiles): npm install @flowenv/dask@latest`,
    });
  }
  return module.daskRuntimeFiles();
}

function findDask(folders: readonly string[]): string {
  for (const folder of folders) {
    try {
      return createRequire(join(folder, 'noop.js')).resolve(`${daskPackageName}/package.json`);
    } catch {
      // not installed there: try the next folder
    }
  }
  throw new FlowenvError({
    code: 'PROVIDER_NOT_INSTALLED',
    message: 'A flow in this DockerStorage runs tasks on Dask workers, and the image needs @flowenv/dask\'s worker files for them: npm install @flowenv/dask',
  });
}
