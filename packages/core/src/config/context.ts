import { AsyncLocalStorage } from 'node:async_hooks';
import { isConfigTree, type ConfigTree } from './config-tree.js';
import { loadConfig, type Config } from './load-config.js';

/**
 * What a flow run knows about itself: Prefect's `prefect.context`, seeded from the `context` config
 * section (PREFECT__CONTEXT__FLOW_RUN_ID → `flowRunId`, spec 6.6 item 9).
 */
export interface RunContext {
  /** PREFECT__CONTEXT__FLOW_RUN_ID: the backend's id of this run. */
  flowRunId?: string;
  /** PREFECT__CONTEXT__FLOW_ID: the backend's id of the flow. */
  flowId?: string;
  /** PREFECT__CONTEXT__NAMESPACE: the Kubernetes namespace runs are created in. */
  namespace?: string;
  /** PREFECT__CONTEXT__IMAGE: the image the flow was built into (Dask workers reuse it). */
  image?: string;
  /** PREFECT__CONTEXT__FLOW_FILE_PATH: the flow module inside the image. */
  flowFilePath?: string;
  /** PREFECT__CONTEXT__IDENTIFIER: the label that ties a run's jobs, pods and tasks together. */
  identifier?: string;
  /** PREFECT__CONTEXT__SECRETS__<Name>: secret values by name. */
  secrets: Record<string, string>;
  /** Parameter values of the run. */
  parameters?: Record<string, unknown>;
}

const fieldKeys = {
  flowRunId: 'flow_run_id',
  flowId: 'flow_id',
  namespace: 'namespace',
  image: 'image',
  flowFilePath: 'flow_file_path',
  identifier: 'identifier',
} as const satisfies Partial<Record<keyof RunContext, string>>;

/**
 * The run context a config describes. Secrets that arrived typed (a dict literal, a number) are
 * kept as their JSON text: 0.11's local secrets were JSON-decoded when read, so the value survives.
 */
export function runContextFromConfig(config: Config): RunContext {
  const section = config.get('context');
  const context: ConfigTree = isConfigTree(section) ? section : {};
  const runContext: RunContext = { secrets: {} };
  for (const [field, key] of Object.entries(fieldKeys) as [keyof typeof fieldKeys, string][]) {
    const value = context[key];
    if (typeof value === 'string') runContext[field] = value;
  }
  const secrets = context.secrets;
  if (isConfigTree(secrets)) {
    for (const [name, value] of Object.entries(secrets)) {
      runContext.secrets[name] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  }
  const parameters = context.parameters;
  if (isConfigTree(parameters)) runContext.parameters = { ...parameters };
  return runContext;
}

const activeContext = new AsyncLocalStorage<RunContext>();
let processContext: RunContext | undefined;

/** Runs `fn` with `context` as the {@link currentRunContext} of everything it calls, sync or async. */
export function withRunContext<T>(context: RunContext, fn: () => T): T {
  return activeContext.run(context, fn);
}

/**
 * The run context of the calling code: the innermost {@link withRunContext}, else the one this
 * process's PREFECT__CONTEXT__… variables describe (loaded on first use, then kept).
 */
export function currentRunContext(): RunContext {
  const active = activeContext.getStore();
  if (active !== undefined) return active;
  if (processContext === undefined) {
    const loaded = runContextFromConfig(loadConfig());
    // Shared by the whole process: nobody may change it for everyone else.
    processContext = Object.freeze({ ...loaded, secrets: Object.freeze(loaded.secrets) });
  }
  return processContext;
}
