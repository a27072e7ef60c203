import { describeError, FlowenvError, type Logger } from '@flowenv/core';
import type { DaskClusterContext, DaskClusterInfo, DaskClusterProvider } from './dask-cluster-provider.js';

export interface DaskClusterRun<T> {
  provider: DaskClusterProvider;
  providerName: string;
  /** The run's provider options (after onExecute). */
  providerOptions: Record<string, unknown>;
  context: DaskClusterContext;
  /** Bounds for `provider.adapt`, or undefined for no adapt call. */
  adapt: { minimum: number; maximum: number } | undefined;
  logger: Logger;
  /** What runs on the cluster (the flow, inside its hooks). */
  body(cluster: DaskClusterInfo): Promise<T>;
}

/**
 * One cluster's life around `body` (spec 4.2, with the teardown 0.11 never did):
 *
 * 1. `provider.create(options)`; no usable scheduler address → DASK_CLUSTER_FAILED.
 * 2. `provider.adapt(min, max)` when bounds are set.
 * 3. `body(cluster)` — the caller runs onStart, the flow and onExit in there, so onExit runs
 *    while the cluster still exists, before teardown.
 * 4. `provider.close()`, always once `create` was called: after success, after any failure above,
 *    and after a failed or half-finished `create`.
 *
 * Errors: the first failure wins; a teardown failure after it is logged (the resources it could
 * not remove are named). A teardown failure after a successful body is thrown, so a leak is
 * never silent.
 */
export async function runOnDaskCluster<T>(run: DaskClusterRun<T>): Promise<T> {
  const { provider, logger } = run;
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    logger.info(`Creating Dask cluster using ${run.providerName}`);
    const cluster = await provider.create(run.providerOptions, run.context);
    if (typeof cluster?.schedulerAddress !== 'string' || cluster.schedulerAddress === '') {
      throw new FlowenvError({
        code: 'DASK_CLUSTER_FAILED',
        message: `${run.providerName} created a cluster but gave no scheduler address; tearing the cluster down`,
      });
    }
    logger.info(`Dask scheduler at ${cluster.schedulerAddress}; dashboard ${cluster.dashboardUrl ?? dashboardOf(cluster.schedulerAddress)}`);
    if (run.adapt !== undefined) {
      logger.info(`Adapting the Dask cluster to ${run.adapt.minimum}..${run.adapt.maximum} workers`);
      await provider.adapt(run.adapt.minimum, run.adapt.maximum);
    }
    logger.info(`Executing on dynamically created Dask cluster with scheduler address ${cluster.schedulerAddress}`);
    outcome = { ok: true, value: await run.body(cluster) };
  } catch (error) {
    outcome = { ok: false, error };
  }

  try {
    await provider.close();
  } catch (closeError) {
    if (!outcome.ok) {
      logger.error(`Tearing down the Dask cluster failed as well: ${describeError(closeError)}`);
      throw outcome.error;
    }
    if (FlowenvError.isInstance(closeError) && closeError.code === 'DASK_CLUSTER_TEARDOWN_FAILED') throw closeError;
    throw new FlowenvError({
      code: 'DASK_CLUSTER_TEARDOWN_FAILED',
      message: `The flow ran, but tearing down the Dask cluster (${run.providerName}) failed: ${describeError(closeError)}`,
      cause: closeError,
    });
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** `http://<scheduler host>:8787`. */
export function dashboardOf(schedulerAddress: string): string {
  const host = schedulerAddress.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/:\d+$/, '');
  return `http://${host}:8787`;
}
