import {
  loadFlowRunnerClass,
  loadTaskRunnerClass,
  withRunContext,
  type Config,
  type Executor,
  type Flow,
  type FlowRunResult,
  type RunContext,
  type TaskStateListener,
} from '@flowenv/core';

export interface RunWithExecutorOptions {
  config: Config;
  runContext: RunContext;
  onTaskState?: TaskStateListener | undefined;
}

/**
 * Runs a loaded flow with an executor object — as 0.11's run_flow built `DaskExecutor(address=…)`
 * itself instead of the configured default — with the flow and task runners the config names
 * (PREFECT__ENGINE__FLOW_RUNNER / TASK_RUNNER__DEFAULT_CLASS), inside the run context; the executor is
 * closed afterwards. (core's runLoadedFlow takes a `module#Export` string, which a bundled flow
 * image cannot import for `@flowenv/dask`: here the executor comes with the bundle.)
 */
export async function runWithExecutor(flow: Flow, executor: Executor, options: RunWithExecutorOptions): Promise<FlowRunResult> {
  try {
    const [FlowRunnerClass, taskRunnerClass] = await Promise.all([
      loadFlowRunnerClass(String(options.config.get('engine.flow_runner.default_class'))),
      loadTaskRunnerClass(String(options.config.get('engine.task_runner.default_class'))),
    ]);
    const parameters = options.runContext.parameters;
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
