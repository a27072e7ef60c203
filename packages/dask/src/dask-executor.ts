import {
  createLogger,
  FlowenvError,
  loadConfig,
  type ExecutionPlan,
  type Executor,
  type Logger,
  type TaskRuntime,
  type TaskState,
} from '@flowenv/core';
import { DaskBridge, type DaskBridgeInfo } from './dask-bridge.js';
import { resolveDaskExecutorOptions, type DaskCluster, type DaskExecutorOptions, type ResolvedDaskExecutorOptions } from './dask-executor-options.js';
import { LocalDaskCluster } from './local-dask-cluster.js';

/**
 * Runs a flow's tasks on a Dask cluster (Prefect's DaskExecutor), named
 * `@flowenv/dask#DaskExecutor` (or `prefect.engine.executors.DaskExecutor`) in
 * PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS and RemoteEnvironment's `executor`.
 *
 * The first run starts a Python bridge (distributed.Client) and registers a worker plugin that
 * keeps one Node task host per worker thread; each task then runs on a worker through core's
 * runFlowTask, with upstream results handed over by Dask from worker to worker. `close()` stops
 * all of it, and the cluster too when the executor started or was given one.
 */
export class DaskExecutor implements Executor {
  readonly options: ResolvedDaskExecutorOptions;
  private readonly logger: Logger = createLogger('flowenv.DaskExecutor');
  private bridge: Promise<DaskBridge> | undefined;
  private ownedCluster: DaskCluster | undefined;
  private closed = false;

  constructor(options: DaskExecutorOptions = {}) {
    this.options = resolveDaskExecutorOptions(options, loadConfig());
  }

  async execute(plan: ExecutionPlan, _runtime: TaskRuntime): Promise<Map<string, TaskState>> {
    const { flowLocation } = plan;
    if (flowLocation === undefined) {
      throw new FlowenvError({
        code: 'EXECUTOR_FAILED',
        message: `DaskExecutor: flow "${plan.flowName}" was built in memory, but Dask workers load the flow from its module file. ` +
          'Load it from a file (loadFlow(path), `flowenv run <file>`, or a storage) so the plan carries its location',
      });
    }
    if (plan.tasks.length === 0) return new Map();
    const bridge = await this.connect();
    return bridge.run({ ...plan, flowLocation });
  }

  /**
   * What the bridge found when it connected (scheduler address, worker count, Python and
   * distributed versions); connects if no run has yet.
   */
  async connectionInfo(): Promise<DaskBridgeInfo> {
    return (await this.connect()).info;
  }

  /** Stops the bridge and the task hosts (and the cluster it owns); waits until they are gone. */
  async close(): Promise<void> {
    this.closed = true;
    const bridge = this.bridge;
    this.bridge = undefined;
    try {
      await bridge?.then((connected) => connected.close(), () => undefined);
    } finally {
      const cluster = this.ownedCluster ?? this.options.cluster;
      this.ownedCluster = undefined;
      await cluster?.close?.();
    }
  }

  private connect(): Promise<DaskBridge> {
    if (this.closed) {
      return Promise.reject(new FlowenvError({ code: 'EXECUTOR_FAILED', message: 'DaskExecutor: this executor was closed; create a new one' }));
    }
    this.bridge ??= this.start().catch((error: unknown) => {
      this.bridge = undefined;
      throw error;
    });
    return this.bridge;
  }

  private async start(): Promise<DaskBridge> {
    const options = this.options;
    let address = options.address;
    if (address === undefined && options.cluster !== undefined) {
      address = options.cluster.address;
      if (options.adapt !== undefined) await options.cluster.adapt?.(options.adapt.minimum, options.adapt.maximum);
    }
    if (address === undefined) {
      this.logger.info('no address or cluster given: starting a LocalDaskCluster for this executor');
      this.ownedCluster ??= await LocalDaskCluster.start({ python: options.python, debug: options.debug });
      address = this.ownedCluster.address;
    }
    return DaskBridge.connect({
      address,
      security: options.security,
      connectTimeoutMs: options.connectTimeoutMs,
      python: options.python,
      debug: options.debug,
      workerNode: options.workerNode,
      taskHostScript: options.taskHostScript,
      hostIdleTimeoutMs: options.hostIdleTimeoutMs,
      logger: this.logger,
    });
  }
}
