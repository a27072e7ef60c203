import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlowenvError } from '@flowenv/core';
import { bundleModule, type ModuleBundle } from './bundle-module.js';

export interface BundleFlowenvCommandRequest {
  /** Folders to resolve `@flowenv/cli` from, in order (default: this package's folder, then the current directory). */
  resolveFrom?: readonly string[] | undefined;
  conditions?: readonly string[] | undefined;
  target?: string | undefined;
}

const entryText = "import { main } from '@flowenv/cli';\nprocess.exitCode = await main(process.argv.slice(2));\n";
const cache = new Map<string, Promise<ModuleBundle>>();

/**
 * The `flowenv` command for the image: @flowenv/cli's main() and everything it imports, bundled
 * into one file (`node /opt/flowenv/flowenv.mjs execute` is the container entry point). Built once
 * per process for a given CLI install.
 */
export function bundleFlowenvCommand(request: BundleFlowenvCommandRequest = {}): Promise<ModuleBundle> {
  const folders = request.resolveFrom ?? [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  const { folder, cliPackage } = findCli(folders);
  const key = JSON.stringify([cliPackage, request.conditions ?? [], request.target ?? '']);
  let bundle = cache.get(key);
  if (bundle === undefined) {
    bundle = bundleModule({
      entry: { contents: entryText, resolveDir: folder, displayName: 'flowenv-entry.mjs' },
      outputName: 'flowenv.mjs',
      workingDirectory: folder,
      conditions: request.conditions,
      target: request.target,
    });
    cache.set(key, bundle);
    bundle.catch(() => cache.delete(key));
  }
  return bundle;
}

function findCli(folders: readonly string[]): { folder: string; cliPackage: string } {
  for (const folder of folders) {
    try {
      return { folder, cliPackage: createRequire(join(folder, 'noop.js')).resolve('@flowenv/cli/package.json') };
    } catch {
      // not installed there: try the next folder
    }
  }
  throw new FlowenvError({
    code: 'PROVIDER_NOT_INSTALLED',
    message: 'DockerStorage puts the `flowenv` command into the image and needs @flowenv/cli for it: npm install @flowenv/cli',
  });
}
