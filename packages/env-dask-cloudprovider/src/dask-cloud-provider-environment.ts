import { randomUUID } from 'node:crypto';
import {
  Config,
  Environment,
  hasContainerImage,
  isConfigTree,
  loadConfig,
  parseOptions,
  registerSecretValue,
  runContextFromConfig,
  runFlowFromContext,
  runStoredFlow,
  runWithLifecycle,
  type ConfigTree,
  type ExecuteOptions,
  type FlowRunResult,
  type RenderedDocument,
  type RunContext,
  type RunHandle,
  type Storage,
} from '@flowenv/core';
import type { DaskSecurity } from '@flowenv/dask';
import { cloneJson } from './clone-json.js';
import type { DaskClusterInfo, DaskClusterProvider, DaskClusterProviderSource } from './dask-cluster-provider.js';
import { EcsDaskClusterProvider, LAUNCH_TYPES, type BuiltInProviderName } from './ecs-dask-cluster-provider.js';
import {
  builtInProviderNames,
  environmentOwnKeys,
  environmentSchema,
  type DaskCloudProviderEnvironmentOptions,
  type OnExecuteHook,
} from './environment-options.js';
import { prepareProviderOptions } from './prepare-provider-options.js';
import { renderEcsCluster } from './render-ecs-cluster.js';
import { runOnDaskCluster } from './run-on-dask-cluster.js';

/** The executor every run uses (0.11: `prefect.engine.executors.DaskExecutor`). */
export const DASK_EXECUTOR = '@flowenv/dask#DaskExecutor';

/** The npm packages the process that runs `execute` needs (0.11: `["dask_cloudprovider"]`). */
const runtimeDependencies = [
  '@flowenv/dask',
  '@aws-sdk/client-ecs',
  '@aws-sdk/client-ec2',
  '@aws-sdk/client-iam',
  '@aws-sdk/client-cloudwatch-logs',
  '@aws-sdk/client-secrets-manager',
];

/**
 * Runs each flow run in this process on a Dask cluster created for that run (Prefect 0.11
 * DaskCloudProviderEnvironment): `onExecute` sizes it, the provider creates it (by default on
 * AWS Fargate, private and with TLS), `adapt` bounds it, the flow runs with DaskExecutor at its
 * scheduler inside onStart/onExit, and the cluster is torn down afterwards — always, also when
 * anything fails (0.11 never tore it down).
 *
 * Hook order: onExecute → create → adapt → onStart → flow → onExit → teardown. onStart runs only
 * once the cluster exists (a failed creation runs neither hook); onExit runs before teardown, so
 * it can still look at the cluster.
 */
export class DaskCloudProviderEnvironment extends Environment {
  static override readonly type: string = 'DaskCloudProviderEnvironment';
  readonly executor: string = DASK_EXECUTOR;
  /** `"FargateCluster"`, `"ECSCluster"`, or your provider's `name` ("custom" when it has none). */
  readonly providerName: string;
  readonly adaptiveMinWorkers: number | undefined;
  readonly adaptiveMaxWorkers: number | undefined;
  readonly security: DaskSecurity | undefined;
  readonly onExecute: OnExecuteHook | undefined;
  /**
   * What the DaskExecutor is built with: your executorOptions, `address` (empty until a run's
   * cluster exists, as in 0.11) and `security`.
   */
  readonly executorOptions: Readonly<Record<string, unknown>>;
  /** What the provider gets (0.11 `provider_kwargs`): every provider option given, verbatim, plus `security`. A copy goes to each run. */
  readonly providerOptions: Readonly<Record<string, unknown>>;
  readonly #provider: BuiltInProviderName | DaskClusterProviderSource;

  constructor(options: DaskCloudProviderEnvironmentOptions) {
    super(options);
    const parsed = parseOptions(new.target.name, environmentSchema, options);
    this.#provider = options.provider;
    this.providerName = providerNameOf(options.provider);
    this.adaptiveMinWorkers = parsed.adaptiveMinWorkers ?? undefined;
    this.adaptiveMaxWorkers = parsed.adaptiveMaxWorkers ?? undefined;
    this.security = options.security == null ? undefined : { ...options.security };
    this.onExecute = options.onExecute ?? undefined;

    const providerOptions: Record<string, unknown> = { ...(options.providerOptions ?? {}) };
    for (const [key, value] of Object.entries(options)) {
      if (!environmentOwnKeys.has(key) && value !== undefined) providerOptions[key] = key === 'security' ? { ...(value as DaskSecurity) } : cloneJson(value);
    }
    for (const key of ['awsAccessKeyId', 'awsSecretAccessKey', 'awsSessionToken']) {
      const value = providerOptions[key];
      if (typeof value === 'string') registerSecretValue(value);
    }
    this.providerOptions = Object.freeze(providerOptions);
    this.executorOptions = Object.freeze({
      ...(options.executorOptions ?? {}),
      address: '',
      ...(this.security === undefined ? {} : { security: this.security }),
    });
  }

  static fromSerialized(fields: Record<string, unknown>): DaskCloudProviderEnvironment {
    const name = typeof fields['provider'] === 'string' ? fields['provider'] : 'custom';
    return new DaskCloudProviderEnvironment({
      provider: (builtInProviderNames as readonly string[]).includes(name) ? (name as BuiltInProviderName) : unserializedProvider(name),
      labels: fields['labels'] as string[],
      adaptiveMinWorkers: fields['adaptive_min_workers'] as number | null | undefined,
      adaptiveMaxWorkers: fields['adaptive_max_workers'] as number | null | undefined,
    });
  }

  /** npm packages the process that runs `execute` must have (the flow module imports this package). */
  override get dependencies(): string[] {
    return [...runtimeDependencies];
  }

  /**
   * Creates the run's cluster, runs the flow from storage on it in this process (DaskExecutor)
   * inside the hooks, and tears the cluster down. Resolves with a finished handle whose details
   * name the scheduler.
   */
  override async execute(storage: Storage, flowLocation: string, options: ExecuteOptions = {}): Promise<RunHandle> {
    const config = loadConfig();
    const runContext: RunContext = { ...runContextFromConfig(config), ...options.runContext };
    const parameters = options.parameters ?? runContext.parameters ?? {};
    const image = hasContainerImage(storage) && storage.name ? storage.name : runContext.image;
    return this.onCluster(runContext, parameters, image, async (cluster) => {
      const handle = await runWithLifecycle(this.lifecycleHooks(), () =>
        runStoredFlow(storage, flowLocation, options, { config, executor: this.executor, executorOptions: this.runExecutorOptions(cluster) }));
      return { ...handle, details: { ...handle.details, scheduler: cluster.schedulerAddress, provider: this.providerName } };
    });
  }

  /**
   * With a built-in provider: every AWS request that creating the run's cluster would send, in
   * order (after onExecute), with `<placeholders>` for ids AWS assigns and for the TLS material.
   * Custom providers render nothing.
   */
  override async render(storage: Storage, _flowLocation: string, options: ExecuteOptions = {}): Promise<RenderedDocument[]> {
    const provider = this.#provider;
    if (typeof provider !== 'string') return [];
    const runContext: RunContext = { ...runContextFromConfig(loadConfig()), ...options.runContext };
    const image = hasContainerImage(storage) && storage.name ? storage.name : runContext.image;
    const providerOptions = await prepareProviderOptions({ base: this.providerOptions, onExecute: this.onExecute, parameters: options.parameters ?? runContext.parameters ?? {}, image });
    return renderEcsCluster(providerOptions, LAUNCH_TYPES[provider], runContext.flowRunId ?? '<run id>');
  }

  /**
   * The entry point of `flowenv execute`: the same cluster life around the flow that
   * PREFECT__CONTEXT__FLOW_FILE_PATH names (image from PREFECT__CONTEXT__IMAGE).
   */
  override async runFlow(): Promise<FlowRunResult> {
    const config = loadConfig();
    const runContext = runContextFromConfig(config);
    return this.onCluster(runContext, runContext.parameters ?? {}, runContext.image, (cluster) =>
      runFlowFromContext({
        hooks: this.lifecycleHooks(),
        config: withExecutor(config, this.executor),
        executorOptions: this.runExecutorOptions(cluster),
      }));
  }

  protected override serializedFields(): Record<string, unknown> {
    return {
      provider: this.providerName,
      adaptive_min_workers: this.adaptiveMinWorkers ?? null,
      adaptive_max_workers: this.adaptiveMaxWorkers ?? null,
    };
  }

  private async onCluster<T>(runContext: RunContext, parameters: Record<string, unknown>, image: string | undefined, body: (cluster: DaskClusterInfo) => Promise<T>): Promise<T> {
    const providerOptions = await prepareProviderOptions({ base: this.providerOptions, onExecute: this.onExecute, parameters, image });
    return runOnDaskCluster({
      provider: this.newProvider(),
      providerName: this.providerName,
      providerOptions,
      context: { runId: runContext.flowRunId ?? randomUUID(), logger: this.logger },
      adapt: this.adaptBounds(providerOptions),
      logger: this.logger,
      body,
    });
  }

  private newProvider(): DaskClusterProvider {
    const source = this.#provider;
    if (typeof source === 'string') return new EcsDaskClusterProvider(source);
    return typeof source === 'function' ? source() : source;
  }

  /** Adapt when either bound is set: min defaults to 0, max to the larger of min and nWorkers. */
  private adaptBounds(providerOptions: Record<string, unknown>): { minimum: number; maximum: number } | undefined {
    if (this.adaptiveMinWorkers === undefined && this.adaptiveMaxWorkers === undefined) return undefined;
    const minimum = this.adaptiveMinWorkers ?? 0;
    const workers = typeof providerOptions['nWorkers'] === 'number' ? providerOptions['nWorkers'] : 1;
    return { minimum, maximum: this.adaptiveMaxWorkers ?? Math.max(minimum, workers) };
  }

  private runExecutorOptions(cluster: DaskClusterInfo): Record<string, unknown> {
    const security = this.security ?? cluster.security;
    return { ...this.executorOptions, address: cluster.schedulerAddress, ...(security === undefined ? {} : { security }) };
  }
}

function providerNameOf(provider: BuiltInProviderName | DaskClusterProviderSource): string {
  if (typeof provider === 'string') return provider;
  if (typeof provider !== 'function') return provider.name ?? 'custom';
  // A factory's own name, unless it only got one from the `provider:` key it was written under.
  return provider.name !== '' && provider.name !== 'provider' ? provider.name : 'custom';
}

/**
 * Stands in for a custom provider in an environment loaded from its serialized form: provider
 * objects are not serialized (the flow module's environment is the one that runs).
 */
function unserializedProvider(name: string): DaskClusterProvider {
  const refuse = (): never => {
    throw new Error(`provider "${name}" is not part of the serialized environment: run the environment the flow module creates`);
  };
  return { name, create: refuse, adapt: refuse, close: () => {} };
}

/** `config` with `engine.executor.default_class` set to `executor`, as 0.11 set it for the run. */
function withExecutor(config: Config, executor: string): Config {
  const section = (path: string): ConfigTree => {
    const value = config.get(path);
    return isConfigTree(value) ? value : {};
  };
  return new Config({ ...config.tree, engine: { ...section('engine'), executor: { ...section('engine.executor'), default_class: executor } } });
}
