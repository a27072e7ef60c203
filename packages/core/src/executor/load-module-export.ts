import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FlowenvError, type FlowenvErrorCode } from '../errors/flowenv-error.js';

export interface ModuleSpecifier {
  module: string;
  exportName: string;
}

/** Parses `module#Export` (`@flowenv/dask#DaskExecutor`, `./my-executor.js#MyExecutor`). */
export function parseModuleSpecifier(specifier: string): ModuleSpecifier | undefined {
  const hash = specifier.lastIndexOf('#');
  if (hash <= 0 || hash === specifier.length - 1) return undefined;
  return { module: specifier.slice(0, hash), exportName: specifier.slice(hash + 1) };
}

/**
 * Imports the export a `module#Export` specifier names. Relative and absolute paths resolve from
 * `cwd`; package names resolve from flowenv's own install first, then from `cwd`, so a package the
 * user installed next to their flow is found too.
 */
export async function loadModuleExport(
  specifier: string,
  options: { cwd?: string; code: FlowenvErrorCode; what: string },
): Promise<unknown> {
  const parsed = parseModuleSpecifier(specifier);
  if (parsed === undefined) {
    throw new FlowenvError({
      code: options.code,
      message: `Invalid ${options.what} "${specifier}": expected "module#Export", e.g. "@flowenv/core#LocalExecutor"`,
    });
  }
  const cwd = options.cwd ?? process.cwd();
  const module = await importModule(parsed.module, cwd).catch((error: unknown) => {
    const notFound = (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' || (error as { code?: string }).code === 'MODULE_NOT_FOUND';
    throw new FlowenvError({
      code: options.code,
      message: notFound
        ? `Could not load ${options.what} "${specifier}": module "${parsed.module}" is not installed (npm install ${parsed.module})`
        : `Could not load ${options.what} "${specifier}": ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  });
  const value = (module as Record<string, unknown>)[parsed.exportName];
  if (value === undefined) {
    throw new FlowenvError({
      code: options.code,
      message: `Could not load ${options.what} "${specifier}": module "${parsed.module}" has no export "${parsed.exportName}"`,
    });
  }
  return value;
}

async function importModule(module: string, cwd: string): Promise<unknown> {
  if (module.startsWith('.') || isAbsolute(module)) {
    return import(pathToFileURL(resolve(cwd, module)).href);
  }
  try {
    return await import(module);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    const fromCwd = createRequire(join(cwd, 'noop.js')).resolve(module);
    return import(pathToFileURL(fromCwd).href);
  }
}
