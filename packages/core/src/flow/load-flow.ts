import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FlowenvError } from '../errors/flowenv-error.js';
import { compileFlowModule } from './compile-flow-module.js';
import { Flow } from './flow.js';

const typeScriptExtension = /\.(?:ts|mts|cts|tsx)$/;

/**
 * Loads a flow module (TS or JS) and returns its default export. A TypeScript file is imported as
 * it is where the runtime understands TypeScript (a test runner); elsewhere it is compiled once
 * with esbuild and the cached result imported (see compileFlowModule).
 */
export async function loadFlow(path: string, options: { cwd?: string } = {}): Promise<Flow> {
  const location = isAbsolute(path) ? path : resolve(options.cwd ?? process.cwd(), path);
  const found = await stat(location).catch(() => undefined);
  if (!found?.isFile()) {
    throw new FlowenvError({ code: 'FLOW_LOAD_FAILED', message: `Flow file not found: ${location}` });
  }
  let module: { default?: unknown };
  try {
    module = await importFlowModule(location);
  } catch (error) {
    if (FlowenvError.isInstance(error)) throw error;
    throw new FlowenvError({ code: 'FLOW_LOAD_FAILED', message: describeLoadFailure(location, error), cause: error });
  }
  const flow = module.default;
  if (!Flow.isFlow(flow)) {
    throw new FlowenvError({
      code: 'FLOW_INVALID',
      message: `${location} has no default export that is a Flow (write \`export default flow\` after \`const flow = new Flow({ name })\`)`,
    });
  }
  flow.location ??= location;
  return flow;
}

async function importFlowModule(location: string): Promise<{ default?: unknown }> {
  if (!typeScriptExtension.test(location)) return (await import(pathToFileURL(location).href)) as { default?: unknown };
  try {
    return (await import(pathToFileURL(location).href)) as { default?: unknown };
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
  }
  // Stack traces should point into the .ts source, through the bundle's inline source map.
  process.setSourceMapsEnabled(true);
  return (await import(pathToFileURL(await compileFlowModule(location)).href)) as { default?: unknown };
}

/** Says which package to install when the flow imports a flowenv provider that is not installed. */
function describeLoadFailure(location: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const missing = /Cannot find (?:package|module) '(@flowenv\/[a-z0-9-]+)/.exec(message)?.[1];
  if (missing !== undefined) {
    return `Flow file ${location} uses ${missing}, which is not installed: npm install ${missing}`;
  }
  return `Could not load flow file ${location}: ${message}`;
}
