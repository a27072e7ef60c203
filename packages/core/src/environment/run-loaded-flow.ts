import type { RunContext } from '../config/context.js';
import { withRunContext } from '../config/context.js';
import type { Config } from '../config/load-config.js';
import type { Executor } from '../executor/executor.js';
import { loadExecutor } from '../executor/load-executor.js';
import type { Flow } from '../flow/flow.js';
import type { FlowRunResult } from '../flow/flow-runner.js';
import { loadFlowRunnerClass, loadTaskRunnerClass } from '../flow/load-runners.js';
import type { TaskStateListener } from '../flow/task-runner.js';

export interface RunLoadedFlowOptions {
  config: Config;
  /**
   * A `module#Export` specifier, or an executor object (for code that builds its executor itself,
   * e.g. from a bundle that cannot import it by name). Default: the executor
   * `engine.executor.default_class` names. Either way it is closed after the run.
   */
  executor?: string | Executor;
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
  let executor = typeof options.executor === 'object' ? options.executor : undefined;
  try {
    // Runner classes first: if one cannot load, no executor (threads, connections) is started; a given one is still closed.
    const [FlowRunnerClass, taskRunnerClass] = await Promise.all([
      loadFlowRunnerClass(String(config.get('engine.flow_runner.default_class'))),
      loadTaskRunnerClass(String(config.get('engine.task_runner.default_class'))),
    ]);
    const specifier = typeof options.executor === 'string' ? options.executor : String(config.get('engine.executor.default_class'));
    executor ??= await loadExecutor(specifier, options.executorOptions ?? {});
    const runExecutor = executor;
    const parameters = options.parameters ?? options.runContext.parameters;
    return await withRunContext(options.runContext, () =>
      new FlowRunnerClass({ flow, taskRunnerClass }).run({
        executor: runExecutor,
        runContext: options.runContext,
        ...(parameters === undefined ? {} : { parameters }),
        ...(options.onTaskState === undefined ? {} : { onTaskState: options.onTaskState }),
      }));
  } finally {
    await executor?.close?.();
  }
}
