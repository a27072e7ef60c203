import { environmentOptionsSchema, executorOptionsSchema, lifecycleHookSchema, type EnvironmentOptions } from '@flowenv/core';
import { daskSecuritySchema, type DaskSecurity } from '@flowenv/dask';
import { z } from 'zod';
import { isDaskClusterProvider, type DaskClusterProviderSource } from './dask-cluster-provider.js';
import { ecsClusterOptionsShape, type EcsClusterOptions } from './ecs-cluster-options.js';
import type { BuiltInProviderName } from './ecs-dask-cluster-provider.js';

/**
 * Called before the cluster is created with the run's parameters and a copy of the provider
 * options, to size the cluster per run (e.g. `providerOptions.nWorkers = parameters.partitions`).
 * Change the object in place or return a new one. An error fails the run (0.11 logged it at INFO
 * and went on with the unchanged options).
 */
export type OnExecuteHook = (
  parameters: Record<string, unknown>,
  providerOptions: Record<string, unknown>,
) => void | Record<string, unknown> | Promise<void | Record<string, unknown>>;

export interface DaskCloudProviderEnvironmentOptions extends EnvironmentOptions, EcsClusterOptions {
  /**
   * What creates the cluster (required): `"FargateCluster"`, `"ECSCluster"`, or your own
   * {@link DaskClusterProvider} (an object, or a function returning a fresh one per run).
   */
  provider: BuiltInProviderName | DaskClusterProviderSource;
  /**
   * With either bound set, the provider's `adapt(min, max)` is called once the cluster exists
   * (default: not called). 0 is a valid minimum (0.11 treated 0 as "off").
   */
  adaptiveMinWorkers?: number | null;
  /** Upper bound for `adapt` (default: the larger of adaptiveMinWorkers and nWorkers). */
  adaptiveMaxWorkers?: number | null;
  /**
   * TLS files for scheduler, workers and client (default: none, then the built-in providers make
   * temporary certificates for the run). Never serialized.
   */
  security?: DaskSecurity | null;
  /**
   * Further DaskExecutor options (`connectTimeoutMs`, `python`, …; default `{}`); `address` and
   * `security` are set per run. The caller's object is copied, not changed.
   */
  executorOptions?: Record<string, unknown> | null;
  /** See {@link OnExecuteHook} (default none). */
  onExecute?: OnExecuteHook | null;
  /** Further options for a custom provider, merged into `providerOptions` (default none). */
  providerOptions?: Record<string, unknown> | null;
}

export const builtInProviderNames = ['FargateCluster', 'ECSCluster'] as const;

const providerSchema = z.custom<BuiltInProviderName | DaskClusterProviderSource>(
  (value) => (builtInProviderNames as readonly unknown[]).includes(value) || typeof value === 'function' || isDaskClusterProvider(value),
  { message: 'expected "FargateCluster", "ECSCluster", an object with create/adapt/close, or a function returning one' },
);

const count = z.number().int().nonnegative();

export const environmentSchema = environmentOptionsSchema
  .extend({
    ...ecsClusterOptionsShape,
    provider: providerSchema,
    adaptiveMinWorkers: count.nullish(),
    adaptiveMaxWorkers: count.nullish(),
    security: daskSecuritySchema.nullish(),
    executorOptions: executorOptionsSchema.nullish(),
    onExecute: lifecycleHookSchema.nullish(),
    providerOptions: z.record(z.string(), z.unknown()).nullish(),
  })
  .strict()
  .superRefine((options, context) => {
    if (options.adaptiveMinWorkers != null && options.adaptiveMaxWorkers != null && options.adaptiveMaxWorkers < options.adaptiveMinWorkers) {
      context.addIssue({ code: 'custom', path: ['adaptiveMaxWorkers'], message: `must be >= adaptiveMinWorkers (${options.adaptiveMinWorkers})` });
    }
  });

/** The option keys that are the environment's own (everything else goes to the provider). */
export const environmentOwnKeys: ReadonlySet<string> = new Set([
  'labels', 'onStart', 'onExit', 'provider', 'adaptiveMinWorkers', 'adaptiveMaxWorkers', 'executorOptions', 'onExecute', 'providerOptions',
]);
