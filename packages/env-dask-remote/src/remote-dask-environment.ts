import {
  Environment,
  environmentOptionsSchema,
  executorOptionsSchema,
  parseOptions,
  runFlowFromContext,
  runStoredFlow,
  runWithLifecycle,
  type EnvironmentOptions,
  type ExecuteOptions,
  type FlowRunResult,
  type RunHandle,
  type Storage,
} from '@flowenv/core';
import { daskSecuritySchema, securityAddressProblem, type DaskSecurity } from '@flowenv/dask';
import { z } from 'zod';

/** The executor every RemoteDaskEnvironment runs with (0.11: `prefect.engine.executors.DaskExecutor`). */
export const DASK_EXECUTOR = '@flowenv/dask#DaskExecutor';

export interface RemoteDaskEnvironmentOptions extends EnvironmentOptions {
  /** Scheduler address of the existing cluster, `tcp://host:8786` or `tls://host:8786` (required). */
  address: string;
  /** TLS files for a `tls://` scheduler (default none); refused with a `tcp://` address. Never serialized. */
  security?: DaskSecurity | null;
  /**
   * Further DaskExecutor options (`connectTimeoutMs`, `python`, `debug`, …; default `{}`). The
   * executor receives a copy with `address` and `security` set; the caller's object is not changed.
   */
  executorOptions?: Record<string, unknown> | null;
}

const optionsSchema = environmentOptionsSchema
  .extend({
    address: z.string().min(1),
    security: daskSecuritySchema.nullish(),
    executorOptions: executorOptionsSchema.nullish(),
  })
  .strict()
  .superRefine((options, context) => {
    const problem = options.security == null ? undefined : securityAddressProblem(options.address, options.security);
    if (problem !== undefined) context.addIssue({ code: 'custom', path: ['security'], message: problem });
  });

/**
 * Runs the flow in the process that calls execute, with its tasks on an existing Dask cluster
 * (Prefect 0.11 RemoteDaskEnvironment). The cluster is neither created nor torn down here; the
 * executor's bridge and task hosts are, for each run.
 */
export class RemoteDaskEnvironment extends Environment {
  static override readonly type: string = 'RemoteDaskEnvironment';
  readonly address: string;
  readonly security: DaskSecurity | undefined;
  readonly executor: string = DASK_EXECUTOR;
  /** What the executor is built with: the caller's executorOptions plus `address` (and `security`). */
  readonly executorOptions: Record<string, unknown>;

  constructor(options: RemoteDaskEnvironmentOptions) {
    super(options);
    parseOptions(new.target.name, optionsSchema, options);
    this.address = options.address;
    this.security = options.security == null ? undefined : { ...options.security };
    this.executorOptions = {
      ...(options.executorOptions ?? {}),
      address: this.address,
      ...(this.security === undefined ? {} : { security: this.security }),
    };
  }

  static fromSerialized(fields: Record<string, unknown>): RemoteDaskEnvironment {
    return new RemoteDaskEnvironment({ address: fields['address'] as string, labels: fields['labels'] as string[] });
  }

  /** Loads the flow from storage and runs it here, its tasks on the cluster; run errors are logged and re-thrown. */
  override async execute(storage: Storage, flowLocation: string, options: ExecuteOptions = {}): Promise<RunHandle> {
    return runWithLifecycle(this.lifecycleHooks(), () =>
      runStoredFlow(storage, flowLocation, options, { executor: this.executor, executorOptions: this.executorOptions }));
  }

  /** The entry point of `flowenv execute`: the flow PREFECT__CONTEXT__FLOW_FILE_PATH names, on this cluster. */
  override async runFlow(): Promise<FlowRunResult> {
    return runFlowFromContext({
      hooks: this.lifecycleHooks(),
      executor: this.executor,
      executorOptions: this.executorOptions,
    });
  }

  protected override serializedFields(): Record<string, unknown> {
    return { address: this.address };
  }
}
