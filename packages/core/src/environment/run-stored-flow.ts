import { runContextFromConfig } from '../config/context.js';
import { loadConfig, type Config } from '../config/load-config.js';
import type { Executor } from '../executor/executor.js';
import type { ExecuteOptions } from './environment.js';
import { completedRunHandle, type RunHandle } from './run-handle.js';
import { runLoadedFlow } from './run-loaded-flow.js';
import type { Storage } from '../storage/storage.js';

export interface RunStoredFlowOptions {
  /** Default: loaded from this process's PREFECT__ variables. */
  config?: Config;
  /** The executor (a `module#Export` specifier or an executor object; default: the configured one). */
  executor?: string | Executor;
  executorOptions?: Record<string, unknown>;
}

/**
 * What every in-process environment's `execute` does inside its hooks: loads the flow from storage,
 * runs it here with the run context (config overlaid by `options.runContext`), and returns a handle
 * on the finished run.
 */
export async function runStoredFlow(
  storage: Storage,
  flowLocation: string,
  options: ExecuteOptions,
  run: RunStoredFlowOptions = {},
): Promise<RunHandle> {
  const flow = await storage.getFlow(flowLocation);
  const config = run.config ?? loadConfig();
  const runContext = { ...runContextFromConfig(config), ...options.runContext };
  const result = await runLoadedFlow(flow, {
    config,
    runContext,
    ...(run.executor === undefined ? {} : { executor: run.executor }),
    ...(run.executorOptions === undefined ? {} : { executorOptions: run.executorOptions }),
    ...(options.parameters === undefined ? {} : { parameters: options.parameters }),
    ...(options.onTaskState === undefined ? {} : { onTaskState: options.onTaskState }),
  });
  return completedRunHandle(result, runContext.flowRunId ?? flow.name);
}
