import {
  Environment,
  environmentOptionsSchema,
  executorOptionsSchema,
  FlowenvError,
  loadConfig,
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
import { z } from 'zod';

export interface RemoteEnvironmentOptions extends EnvironmentOptions {
  /**
   * The executor, as `module#Export` (e.g. `@flowenv/dask#DaskExecutor`). Default: config
   * `engine.executor.default_class` (PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS) when the
   * environment is constructed, else `@flowenv/core#LocalExecutor`.
   */
  executor?: string | null;
  /** Options passed to the executor's constructor (default `{}`). */
  executorOptions?: Record<string, unknown> | null;
}

const remoteOptionsSchema = environmentOptionsSchema.extend({
  executor: z.string().min(1).nullish(),
  executorOptions: executorOptionsSchema.nullish(),
}).strict();

/**
 * Runs the flow in place, in the process that calls execute, with a chosen executor (Prefect 0.11
 * RemoteEnvironment, the default environment of every flow).
 */
export class RemoteEnvironment extends Environment {
  static override readonly type: string = 'RemoteEnvironment';
  readonly executor: string;
  readonly executorOptions: Record<string, unknown>;

  constructor(options: RemoteEnvironmentOptions = {}) {
    super(options);
    const parsed = parseOptions(new.target.name, remoteOptionsSchema, options);
    this.executor = parsed.executor ?? String(loadConfig().get('engine.executor.default_class'));
    this.executorOptions = { ...(parsed.executorOptions ?? {}) };
  }

  static fromSerialized(fields: Record<string, unknown>): RemoteEnvironment {
    return new RemoteEnvironment({
      labels: fields['labels'] as string[],
      executor: (fields['executor'] as string | null | undefined) ?? null,
      executorOptions: (fields['executor_kwargs'] as Record<string, unknown> | null | undefined) ?? null,
    });
  }

  /** Loads the flow from storage and runs it here with the executor; run errors are logged and re-thrown. */
  override async execute(storage: Storage, flowLocation: string, options: ExecuteOptions = {}): Promise<RunHandle> {
    return runWithLifecycle(this.lifecycleHooks(), () =>
      runStoredFlow(storage, flowLocation, options, { executor: this.executor, executorOptions: this.executorOptions }));
  }

  /**
   * The entry point of `flowenv execute`: runs the flow PREFECT__CONTEXT__FLOW_FILE_PATH names with
   * this environment's executor and options (the base class would use the config's executor).
   */
  override async runFlow(): Promise<FlowRunResult> {
    return runFlowFromContext({
      hooks: this.lifecycleHooks(),
      executor: this.executor,
      executorOptions: this.executorOptions,
    });
  }

  protected override serializedFields(): Record<string, unknown> {
    return { executor: this.executor, executor_kwargs: jsonOnly(this.executorOptions) };
  }
}

/** executor_kwargs go to the backend as JSON: a value that is not JSON would break registration. */
function jsonOnly(options: Record<string, unknown>): Record<string, unknown> {
  const problem = findNonJson(options, 'executorOptions');
  if (problem !== undefined) {
    throw new FlowenvError({
      code: 'SERIALIZATION_INVALID',
      message: `RemoteEnvironment: \`${problem}\` is not JSON, so the environment cannot be serialized; pass only JSON values in executorOptions`,
    });
  }
  return structuredClone(options);
}

/** The path of the first value JSON cannot carry unchanged, if any. */
function findNonJson(value: unknown, path: string): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const problem = findNonJson(item, `${path}.${index}`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) {
      const problem = findNonJson(item, `${path}.${key}`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  return path;
}
