import { runContextFromConfig } from '../config/context.js';
import { loadConfig, type Config } from '../config/load-config.js';
import { FlowenvError } from '../errors/flowenv-error.js';
import type { FlowRunResult } from '../flow/flow-runner.js';
import { loadFlow } from '../flow/load-flow.js';
import { resolveStorageSecrets, type SecretSource } from '../secrets/resolve-secrets.js';
import { runLoadedFlow } from './run-loaded-flow.js';
import { runWithLifecycle, type LifecycleHooks } from './run-lifecycle.js';

export interface RunFlowFromContextOptions {
  hooks: LifecycleHooks;
  /** The executor, as `module#Export` (default: the one `engine.executor.default_class` names). */
  executor?: string;
  /** Options for the executor. */
  executorOptions?: Record<string, unknown>;
  /** Default: loaded from this process's PREFECT__ variables. */
  config?: Config;
  /** Where storage secrets come from after the run context (default: nowhere else). */
  secretSource?: SecretSource;
}

/**
 * What runs inside the job, task or container an environment started (spec 2.4 run_flow): the
 * flow module from PREFECT__CONTEXT__FLOW_FILE_PATH, its storage's secrets fetched by name, the
 * executor, flow runner and task runner the config names, and the hooks in their 0.11 order.
 */
export async function runFlowFromContext(options: RunFlowFromContextOptions): Promise<FlowRunResult> {
  return runWithLifecycle(options.hooks, async () => {
    const config = options.config ?? loadConfig();
    const runContext = runContextFromConfig(config);
    if (!runContext.flowFilePath) {
      throw new FlowenvError({
        code: 'FLOW_LOAD_FAILED',
        message: 'No flow file to run: set PREFECT__CONTEXT__FLOW_FILE_PATH to the flow module inside the image',
      });
    }
    const flow = await loadFlow(runContext.flowFilePath);
    const secrets = await resolveStorageSecrets(flow.storage?.secrets ?? [], runContext.secrets, options.secretSource);
    return runLoadedFlow(flow, {
      config,
      runContext: { ...runContext, secrets },
      ...(options.executor === undefined ? {} : { executor: options.executor }),
      ...(options.executorOptions === undefined ? {} : { executorOptions: options.executorOptions }),
    });
  });
}
