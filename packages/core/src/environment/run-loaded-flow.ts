import type { RunContext } from '../config/context.js';
import { withRunContext } from '../config/context.js';
import type { Config } from '../config/load-config.js';
import { loadExecutor } from '../executor/load-executor.js';
import type { Flow } from '../flow/flow.js';
import type { FlowRunResult } from '../flow/flow-runner.js';
import { loadFlowRunnerClass, loadTaskRunnerClass } from '../flow/load-runners.js';
import type { TaskStateListener } from '../flow/task-runner.js';

export interface RunLoadedFlowOptions {
  config: Config;
  /** Default: the executor `engine.executor.default_class` names. */
  executor?: string;
  executorOptions?: Record<string, unknown>;
  parameters?: Record<string, unknown>;
  runContext: RunContext;
  onTaskState?: TaskStateListener;
}

/**
 * Runs a loaded flow the way every environment does: the flow runner, task runner and executor
 * the config names (PREFECT__ENGINE__…__DEFAULT_CLASS), inside the run context; the executor is
 * closed afterwards.
 */
export async function runLoadedFlow(flow: Flow, options: RunLoadedFlowOptions): Promise<FlowRunResult> {
  const { config } = options;
  // Runner classes first: if one cannot load, no executor (threads, connections) was started.
  const [FlowRunnerClass, taskRunnerClass] = await Promise.all([
    loadFlowRunnerClass(String(config.get('engine.flow_runner.default_class'))),
    loadTaskRunnerClass(String(config.get('engine.task_runner.default_class'))),
  ]);
  const executor = await loadExecutor(options.executor ?? String(config.get('engine.executor.default_class')), options.executorOptions ?? {});
  const parameters = options.parameters ?? options.runContext.parameters;
  try {
    return await withRunContext(options.runContext, () =>
      new FlowRunnerClass({ flow, taskRunnerClass }).run({
        executor,
        runContext: options.runContext,
        ...(parameters === undefined ? {} : { parameters }),
        ...(options.onTaskState === undefined ? {} : { onTaskState: options.onTaskState }),
      }));
  } finally {
    await executor.close?.();
  }
}
