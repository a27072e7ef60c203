import { existsSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { bundleModule } from './bundle-module.js';
import { bundledPackages } from './bundled-packages.js';

export interface BundleFlowRequest {
  /** The flow module (TS or JS) whose default export is the flow. */
  sourcePath: string;
  /** Its path inside the image (`/opt/prefect/flows/hello.mjs`). */
  location: string;
  /** Source paths in the map are relative to this folder (default: the current directory). */
  workingDirectory?: string | undefined;
  conditions?: readonly string[] | undefined;
  target?: string | undefined;
}

export interface BundledFile {
  /** Absolute path inside the image. */
  path: string;
  contents: string;
}

export interface FlowBundle {
  location: string;
  /** The flow bundle and its source map; plus the worker-thread script when the flow's core uses one. */
  files: BundledFile[];
  /** npm packages bundled into the flow (the health check's answer to `environment.dependencies`). */
  bundledPackages: string[];
}

/**
 * Bundles a flow module into one self-contained ESM file for `location`, with its source map next
 * to it. Core's LocalParallelExecutor starts worker threads from `./task-thread.js` next to the
 * module that contains it, so when core's thread pool is bundled in, that script is bundled too and
 * a package.json marks the folder's `.js` files as ESM.
 */
export async function bundleFlow(request: BundleFlowRequest): Promise<FlowBundle> {
  const workingDirectory = request.workingDirectory ?? process.cwd();
  const outputName = basename(request.location);
  const bundle = await bundleModule({
    entry: { path: request.sourcePath },
    outputName,
    workingDirectory,
    conditions: request.conditions,
    target: request.target,
  });
  const directory = posix.dirname(request.location);
  const files: BundledFile[] = [
    { path: request.location, contents: bundle.code },
    { path: `${request.location}.map`, contents: bundle.map },
  ];
  const threadEntry = threadScriptSource(bundle.inputs);
  if (threadEntry !== undefined) {
    const thread = await bundleModule({ entry: { path: threadEntry }, outputName: 'task-thread.js', workingDirectory, conditions: request.conditions, target: request.target });
    files.push(
      { path: posix.join(directory, 'task-thread.js'), contents: thread.code },
      { path: posix.join(directory, 'task-thread.js.map'), contents: thread.map },
      { path: posix.join(directory, 'package.json'), contents: '{ "type": "module" }\n' },
    );
  }
  return { location: request.location, files, bundledPackages: bundledPackages(bundle.inputs) };
}

/** Core's task-thread entry beside its bundled thread-pool module, if the bundle contains one. */
function threadScriptSource(inputs: readonly string[]): string | undefined {
  for (const input of inputs) {
    const match = /[\\/]core[\\/](?:dist|src)[\\/]executor[\\/]thread-pool\.(js|ts)$/.exec(input);
    if (match === null) continue;
    const candidate = join(dirname(input), `task-thread.${match[1] as string}`);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
