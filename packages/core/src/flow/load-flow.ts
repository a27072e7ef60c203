import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FlowenvError } from '../errors/flowenv-error.js';
import { Flow } from './flow.js';

const typeScriptExtension = /\.(?:ts|mts|cts|tsx)$/;
let typeScriptLoader: Promise<void> | undefined;

/**
 * Loads a flow module (TS or JS) and returns its default export. TypeScript files go through tsx,
 * registered once per process so the flow and its imports share one module graph.
 */
export async function loadFlow(path: string, options: { cwd?: string } = {}): Promise<Flow> {
  const location = isAbsolute(path) ? path : resolve(options.cwd ?? process.cwd(), path);
  const found = await stat(location).catch(() => undefined);
  if (!found?.isFile()) {
    throw new FlowenvError({ code: 'FLOW_LOAD_FAILED', message: `Flow file not found: ${location}` });
  }
  if (typeScriptExtension.test(location)) await registerTypeScript();

  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(location).href)) as { default?: unknown };
  } catch (error) {
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

function registerTypeScript(): Promise<void> {
  typeScriptLoader ??= import('tsx/esm/api').then(
    ({ register }) => {
      register();
    },
    (error: unknown) => {
      typeScriptLoader = undefined;
      throw new FlowenvError({
        code: 'FLOW_LOAD_FAILED',
        message: 'Loading a TypeScript flow file needs the `tsx` package: npm install tsx (or build the flow to JavaScript)',
        cause: error,
      });
    },
  );
  return typeScriptLoader;
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
