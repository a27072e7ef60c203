import { createLogger, describeError, FlowenvError, registerSecretValue, type Logger } from '@flowenv/core';
import { awsClientSettings, createAwsClients } from './aws-clients.js';
import { newClusterIdentity } from './cluster-identity.js';
import { describeResource, type CreatedResource } from './created-resource.js';
import type { DaskClusterContext, DaskClusterInfo, DaskClusterProvider } from './dask-cluster-provider.js';
import { resolveEcsClusterSettings, type LaunchType } from './ecs-cluster-options.js';
import type { Clock, EcsClusterState } from './ecs-cluster-state.js';
import { provisionEcsCluster } from './provision-ecs-cluster.js';
import { adaptTarget, startWorkers, stopWorkers } from './scale-workers.js';
import { teardownResources, type LeftResource } from './teardown-resources.js';

/** The built-in provider names (0.11: dask-cloudprovider's classes). */
export type BuiltInProviderName = 'FargateCluster' | 'ECSCluster';

/** The ECS launch type of each built-in provider. */
export const LAUNCH_TYPES: Readonly<Record<BuiltInProviderName, LaunchType>> = { FargateCluster: 'FARGATE', ECSCluster: 'EC2' };

/**
 * A Dask cluster on AWS ECS for one run — `"FargateCluster"` (Fargate tasks, cluster created when
 * not given) or `"ECSCluster"` (the EC2 capacity of your cluster) — made with the AWS SDK, no
 * Python: scheduler and worker tasks with private IPs and TLS, their roles, log group and
 * security group. `close()` removes everything it created, also after a failed `create()`.
 *
 * One instance is one cluster; the environment makes a new instance for each run.
 */
export class EcsDaskClusterProvider implements DaskClusterProvider {
  readonly name: BuiltInProviderName;
  readonly #clock: Clock;
  #state: EcsClusterState | undefined;
  #closing: Promise<void> | undefined;

  constructor(name: BuiltInProviderName = 'FargateCluster', clock: Clock = {}) {
    this.name = name;
    this.#clock = clock;
  }

  /** The cluster's name (`flowenv-dask-<8 hex>`) once create was called. */
  get clusterName(): string | undefined {
    return this.#state?.identity.name;
  }

  /** What the cluster created and has not yet removed. */
  get resources(): readonly CreatedResource[] {
    return this.#state?.resources ?? [];
  }

  /** The worker tasks currently meant to run, oldest first. */
  get workerTaskArns(): readonly string[] {
    return this.#state?.workers ?? [];
  }

  get schedulerTaskArn(): string | undefined {
    return this.#state?.schedulerTaskArn;
  }

  /**
   * Creates the cluster and returns its scheduler address and the TLS files for the client. On any
   * failure it removes what it had created before rethrowing.
   */
  async create(options: Record<string, unknown>, context: DaskClusterContext): Promise<DaskClusterInfo> {
    if (this.#state !== undefined) {
      throw new FlowenvError({ code: 'DASK_CLUSTER_FAILED', message: `${this.name}: this provider already created cluster ${this.#state.identity.name}; use a new provider for each cluster` });
    }
    const settings = resolveEcsClusterSettings(options, LAUNCH_TYPES[this.name]);
    for (const secret of Object.values(settings.credentials)) registerSecretValue(secret);
    const clientSettings = awsClientSettings(settings.credentials, settings.regionName, settings.endpoint);
    const identity = newClusterIdentity(context.runId);
    const logger: Logger = context.logger ?? createLogger('flowenv.EcsDaskClusterProvider');
    const state: EcsClusterState = {
      identity,
      settings,
      clients: (settings.createClients ?? createAwsClients)(clientSettings),
      logger,
      callContext: { region: settings.regionName, endpoint: settings.endpoint },
      clock: this.#clock,
      resources: [],
      workers: [],
      scalingSteps: 0,
    };
    this.#state = state;
    logger.info(`Creating Dask cluster ${identity.name} with ${this.name} (${settings.nWorkers} worker(s), image ${settings.image})`);
    try {
      return await provisionEcsCluster(state);
    } catch (error) {
      logger.error(`Creating Dask cluster ${identity.name} failed: ${describeError(error)}; removing what was created`);
      await this.close().catch((closeError: unknown) => logger.error(describeError(closeError)));
      throw error;
    }
  }

  /**
   * Brings the number of worker tasks within [minimum, maximum]: starts workers up to `minimum`,
   * stops the newest down to `maximum`. ECS has no load signal for the scheduler's adaptive
   * scaling, so this is a clamp, applied now.
   */
  async adapt(minimum: number, maximum: number): Promise<void> {
    if (!Number.isInteger(minimum) || !Number.isInteger(maximum) || minimum < 0 || maximum < minimum) {
      throw new FlowenvError({ code: 'OPTIONS_INVALID', message: `${this.name}.adapt: expected 0 <= minimum <= maximum, got ${minimum}, ${maximum}` });
    }
    const state = this.#state;
    if (state?.schedulerAddress === undefined || this.#closing !== undefined) {
      throw new FlowenvError({ code: 'DASK_CLUSTER_FAILED', message: `${this.name}.adapt: no running cluster (create it first; it must not be closed)` });
    }
    const current = state.workers.length;
    const target = adaptTarget(current, minimum, maximum);
    state.logger.info(`Adapting Dask cluster ${state.identity.name} to ${minimum}..${maximum} workers: ${current} → ${target}`);
    if (target > current) await startWorkers(state, target - current);
    else if (target < current) await stopWorkers(state, current - target);
  }

  /**
   * Stops every task and deletes every resource the cluster created (idempotent; concurrent calls
   * share one teardown). Throws DASK_CLUSTER_TEARDOWN_FAILED naming what is left, after trying
   * everything; calling it again retries only that.
   */
  close(): Promise<void> {
    this.#closing ??= this.teardown().finally(() => {
      this.#closing = undefined;
    });
    return this.#closing;
  }

  private async teardown(): Promise<void> {
    const state = this.#state;
    if (state === undefined) return;
    const started = (this.#clock.now ?? Date.now)();
    const left: LeftResource[] = await teardownResources(state.resources, {
      clients: state.clients,
      identity: state.identity,
      clusterArn: state.clusterArn,
      skipCleanup: state.settings.skipCleanup,
      timeoutMs: state.settings.teardownTimeoutMs,
      pollIntervalMs: state.settings.pollIntervalMs,
      callContext: state.callContext,
      logger: state.logger,
      ...this.#clock,
    });
    state.resources = left.map((entry) => entry.resource);
    state.workers = [];
    state.schedulerAddress = undefined;
    await state.certificateFiles?.remove();
    if (left.length > 0) {
      throw new FlowenvError({
        code: 'DASK_CLUSTER_TEARDOWN_FAILED',
        message: `Dask cluster ${state.identity.name}: ${left.length} resource(s) could not be removed (tagged flowenv:run=${state.identity.runId}; close() again to retry, or delete them by hand): ` +
          left.map((entry) => `${describeResource(entry.resource)}: ${entry.reason}`).join('; '),
        retryable: true,
      });
    }
    state.logger.info(`Removed Dask cluster ${state.identity.name} in ${(this.#clock.now ?? Date.now)() - started} ms`);
  }
}
