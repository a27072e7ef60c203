import type { Logger } from '@flowenv/core';
import type { DaskSecurity } from '@flowenv/dask';

/** What a provider reports once its cluster is up. */
export interface DaskClusterInfo {
  /** Where the DaskExecutor connects: `tls://10.0.1.23:8786` (or `tcp://…`). Required. */
  schedulerAddress: string;
  /**
   * TLS files for the DaskExecutor, when the provider made them (e.g. temporary certificates).
   * The environment's own `security` option takes precedence.
   */
  security?: DaskSecurity | undefined;
  /** The Dask dashboard, for logs (default: `http://<scheduler host>:8787`). */
  dashboardUrl?: string | undefined;
}

/** What the environment tells the provider about the run. */
export interface DaskClusterContext {
  /** The flow run id, else a random UUID: tag what you create with it (`flowenv:run`). */
  runId: string;
  logger: Logger;
}

/**
 * Creates one Dask cluster for a run and removes it afterwards (Prefect 0.11's `provider_class`,
 * e.g. dask-cloudprovider's FargateCluster). The built-in `"FargateCluster"` and `"ECSCluster"`
 * implement it; pass your own object (or a function returning one per run) for anything else.
 *
 * The environment calls `create` once per run, then `adapt` if adaptive bounds are set, and
 * always `close` afterwards — also when `create` failed halfway, so `close` must remove whatever
 * was created and be safe to call more than once.
 */
export interface DaskClusterProvider {
  /** Shown in logs and serialized as `provider` (default "custom"). */
  readonly name?: string;
  /** `options` is the run's copy of the provider options, after `onExecute` (with `image` filled in from the storage when known). */
  create(options: Record<string, unknown>, context: DaskClusterContext): Promise<DaskClusterInfo>;
  /** Keeps the number of workers between `minimum` and `maximum` (0 is a valid minimum). */
  adapt(minimum: number, maximum: number): Promise<void> | void;
  close(): Promise<void> | void;
}

/** A provider, or a function that makes a fresh one for each run (so concurrent runs do not share one). */
export type DaskClusterProviderSource = DaskClusterProvider | (() => DaskClusterProvider);

export function isDaskClusterProvider(value: unknown): value is DaskClusterProvider {
  const candidate = value as Partial<DaskClusterProvider> | null;
  return typeof candidate === 'object' && candidate !== null &&
    typeof candidate.create === 'function' && typeof candidate.adapt === 'function' && typeof candidate.close === 'function';
}
