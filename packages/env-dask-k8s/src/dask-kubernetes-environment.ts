import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import {
  describeError,
  Environment,
  FlowenvError,
  hasContainerImage,
  injectionSettingsFromConfig,
  isFinishedState,
  loadConfig,
  loadFlow,
  parseOptions,
  registerSecretValue,
  resolveStorageSecrets,
  runContextFromConfig,
  runLoadedFlow,
  runWithLifecycle,
  type ExecuteOptions,
  type Executor,
  type FlowRunResult,
  type RenderedDocument,
  type RunHandle,
  type Storage,
} from '@flowenv/core';
import { DaskExecutor, LocalDaskCluster } from '@flowenv/dask';
import type { KubeConfig, V1Job, V1Pod, V1Secret } from '@kubernetes/client-node';
import { adaptiveTarget } from './adaptive-target.js';
import { buildAuthTokenSecret, DEFAULT_AUTH_TOKEN_SECRET_KEY, perRunSecretName } from './build-auth-token-secret.js';
import { buildDockerConfigSecret, parseDockerCredentials } from './build-docker-config-secret.js';
import { buildSchedulerJob, type AuthTokenSecretRef } from './build-scheduler-job.js';
import { buildWorkerPod, type WorkerPodInput } from './build-worker-pod.js';
import { createKubernetesApi } from './create-kubernetes-api.js';
import { daskKubernetesOptionsSchema, type DaskKubernetesEnvironmentOptions, type DaskScheduler } from './dask-kubernetes-options.js';
import { dockerSecretName } from './image-pull-secrets.js';
import type { KubernetesApi } from './kubernetes-api.js';
import { defaultSchedulerSpec, defaultWorkerSpec, loadDaskSpec, type SchedulerSpec, type SpecKind, type WorkerSpec } from './load-dask-spec.js';
import { inClusterConnection } from './in-cluster-connection.js';
import { isInCluster, loadKubeConfig } from './load-kube-config.js';
import { kubernetesErrorFacts, mapKubernetesError } from './map-kubernetes-error.js';
import { adoptSecret, deleteSecretQuietly, submitJob } from './submit-job.js';
import { createJobHandle } from './watch-job.js';
import { WorkerPool } from './worker-pool.js';

/** The secret name `dockerSecret` defaults to with `privateRegistry` (0.11's). */
export const DEFAULT_DOCKER_SECRET = 'DOCKER_REGISTRY_CREDENTIALS';
const defaultStuckTimeoutSeconds = 120;
const defaultAdaptIntervalMs = 1000;

interface PlannedRun {
  identifier: string;
  namespace: string;
  job: V1Job;
  worker: V1Pod;
  /** The run's token Secret (owned by its Job once created), when a token is configured. */
  secret: V1Secret | undefined;
}

/** A spec file: parsed at construction, or why it could not be read here (absent where the module was loaded). */
type LoadedSpec<T> = { spec: T } | { missing: FlowenvError } | undefined;

/**
 * Runs each flow run as a Kubernetes Job that starts its own Dask cluster (Prefect 0.11
 * DaskKubernetesEnvironment): `execute` submits the scheduler Job ({@link buildSchedulerJob}) and
 * returns a handle on it (wait, logs, cancel); inside it, `runFlow` starts a Dask scheduler, creates
 * worker pods ({@link buildWorkerPod}) between `minWorkers` and `maxWorkers` as the flow's
 * unfinished tasks require, runs the flow with DaskExecutor and deletes every worker pod it created
 * before `onExit` runs.
 */
export class DaskKubernetesEnvironment extends Environment {
  static override readonly type: string = 'DaskKubernetesEnvironment';
  readonly minWorkers: number;
  readonly maxWorkers: number;
  readonly workStealing: boolean;
  readonly schedulerLogs: boolean;
  readonly privateRegistry: boolean;
  readonly dockerSecret: string | undefined;
  /** Absolute paths of the spec files; undefined: the packaged manifests. */
  readonly schedulerSpecFile: string | undefined;
  readonly workerSpecFile: string | undefined;
  readonly namespace: string | undefined;
  readonly schedulerHost: string | undefined;
  readonly adaptIntervalMs: number;
  readonly stuckTimeoutSeconds: number;
  readonly #startScheduler: (host: string) => Promise<DaskScheduler>;
  readonly #createExecutor: (address: string) => Executor;
  readonly #schedulerSpec: LoadedSpec<SchedulerSpec>;
  readonly #workerSpec: LoadedSpec<WorkerSpec>;
  readonly #kubeConfig: KubeConfig | string | undefined;
  readonly #injectedApi: KubernetesApi | undefined;
  #api: Promise<KubernetesApi> | undefined;

  constructor(options: DaskKubernetesEnvironmentOptions = {}) {
    super(options);
    const parsed = parseOptions(new.target.name, daskKubernetesOptionsSchema, options);
    this.minWorkers = parsed.minWorkers ?? 1;
    this.maxWorkers = parsed.maxWorkers ?? 2;
    this.workStealing = parsed.workStealing ?? false;
    this.schedulerLogs = parsed.schedulerLogs ?? false;
    this.privateRegistry = parsed.privateRegistry ?? false;
    // 0.11: the secret name is forced to None without a private registry, even when one was passed.
    this.dockerSecret = this.privateRegistry ? (parsed.dockerSecret ?? DEFAULT_DOCKER_SECRET) : undefined;
    if (this.privateRegistry) {
      this.logger.warn('DaskKubernetesEnvironment: `privateRegistry` is deprecated (as in Prefect 0.11.3): set `imagePullSecrets` on custom scheduler and worker spec files instead');
    }
    this.schedulerSpecFile = parsed.schedulerSpecFile ? resolve(parsed.schedulerSpecFile) : undefined;
    this.workerSpecFile = parsed.workerSpecFile ? resolve(parsed.workerSpecFile) : undefined;
    this.#schedulerSpec = loadOptionalSpec('scheduler', this.schedulerSpecFile) as LoadedSpec<SchedulerSpec>;
    this.#workerSpec = loadOptionalSpec('worker', this.workerSpecFile) as LoadedSpec<WorkerSpec>;
    this.namespace = parsed.namespace ?? undefined;
    this.schedulerHost = parsed.schedulerHost ?? undefined;
    this.adaptIntervalMs = parsed.adaptIntervalMs ?? defaultAdaptIntervalMs;
    this.stuckTimeoutSeconds = parsed.stuckTimeoutSeconds ?? defaultStuckTimeoutSeconds;
    this.#createExecutor = parsed.createExecutor ?? ((address) => new DaskExecutor({ address }));
    this.#startScheduler = parsed.startScheduler ?? ((host) => LocalDaskCluster.start({ workers: 0, host }));
    this.#kubeConfig = parsed.kubeConfig ?? undefined;
    this.#injectedApi = parsed.api ?? undefined;
  }

  static fromSerialized(fields: Record<string, unknown>): DaskKubernetesEnvironment {
    // Spec 5.2: spec files, hooks, work stealing and scheduler logs do not travel.
    return new DaskKubernetesEnvironment({
      labels: fields['labels'] as string[],
      dockerSecret: (fields['docker_secret'] as string | null | undefined) ?? null,
      privateRegistry: (fields['private_registry'] as boolean | undefined) ?? false,
      minWorkers: (fields['min_workers'] as number | undefined) ?? 1,
      maxWorkers: (fields['max_workers'] as number | undefined) ?? 2,
    });
  }

  /** The scheduler Job spec: the file's (checked at construction) or the packaged one. */
  get schedulerSpec(): SchedulerSpec {
    return specOf(this.#schedulerSpec, defaultSchedulerSpec);
  }

  /** The worker Pod spec: the file's (checked at construction) or the packaged one. */
  get workerSpec(): WorkerSpec {
    return specOf(this.#workerSpec, defaultWorkerSpec);
  }

  /** npm packages the image must contain besides flowenv (0.11: `kubernetes`), and Python `distributed`. */
  override get dependencies(): string[] {
    return ['@kubernetes/client-node', '@flowenv/dask'];
  }

  /**
   * With `privateRegistry`: creates the `<namespace>-docker` pull Secret from the run-context secret
   * named `dockerSecret` (an existing one is kept: 409 means it is there). Without: nothing, and no
   * Kubernetes call at all.
   */
  override async setup(_storage: Storage): Promise<void> {
    if (!this.privateRegistry) return;
    const secretName = this.dockerSecret as string;
    const config = loadConfig();
    const runContext = runContextFromConfig(config);
    const api = await this.connect();
    const namespace = this.resolveNamespace(runContext.namespace, api.contextNamespace);
    const value = runContext.secrets[secretName];
    const credentials = parseDockerCredentials(value, secretName);
    registerSecretValue(credentials.password);
    const secret = buildDockerConfigSecret(namespace, credentials);
    try {
      await api.createSecret(namespace, secret);
      this.logger.info(`Created the image pull Secret ${dockerSecretName(namespace)} in namespace ${namespace}`);
    } catch (error) {
      if (kubernetesErrorFacts(error).status === 409) {
        this.logger.info(`Found the image pull Secret ${dockerSecretName(namespace)} in namespace ${namespace}`);
        return;
      }
      throw mapKubernetesError(error, { verb: 'create', resource: 'secrets', group: '', namespace, name: dockerSecretName(namespace), server: api.server });
    }
  }

  /** Submits the scheduler Job (after the run's token Secret, when a token is configured) and returns a handle on it. */
  override async execute(storage: Storage, flowLocation: string, options: ExecuteOptions = {}): Promise<RunHandle> {
    const image = imageOf(storage);
    void this.schedulerSpec;
    void this.workerSpec;
    const api = await this.connect();
    const plan = this.plan(image, flowLocation, options, api.contextNamespace, true);
    if (plan.secret !== undefined) await api.createSecret(plan.namespace, plan.secret).catch((error: unknown) => {
      throw mapKubernetesError(error, { verb: 'create', resource: 'secrets', group: '', namespace: plan.namespace, name: plan.secret?.metadata?.name, server: api.server });
    });
    let job: V1Job;
    try {
      job = await submitJob(api, plan.job, { identifier: plan.identifier });
    } catch (error) {
      this.logger.critical(`Failed to create the Dask scheduler Job: ${describeError(error)}`);
      if (plan.secret !== undefined) await deleteSecretQuietly(api, plan.namespace, plan.secret.metadata?.name ?? '', this.logger);
      throw error;
    }
    const jobName = job.metadata?.name ?? '';
    let unownedSecretName: string | undefined;
    if (plan.secret !== undefined && !(await adoptSecret(api, plan.secret, job, this.logger))) unownedSecretName = plan.secret.metadata?.name;
    this.logger.info(`Created the Dask scheduler Job ${jobName} in namespace ${plan.namespace} (identifier ${plan.identifier})`);
    return createJobHandle({
      api,
      namespace: plan.namespace,
      jobName,
      uid: job.metadata?.uid ?? '',
      identifier: plan.identifier,
      containerName: job.spec?.template.spec?.containers[0]?.name ?? 'flow',
      stuckTimeoutMs: this.stuckTimeoutSeconds * 1000,
      unownedSecretName,
      logger: this.logger,
    });
  }

  /** `flowenv render`: the scheduler Job and one worker Pod (its scheduler address is a placeholder), never contacting the cluster. */
  override async render(storage: Storage, flowLocation: string, options: ExecuteOptions = {}): Promise<RenderedDocument[]> {
    const image = imageOf(storage);
    const plan = this.plan(image, flowLocation, options, await this.kubeConfigNamespace(), false);
    return [
      ...(plan.secret === undefined ? [] : [{ kind: 'Secret', document: plan.secret }]),
      { kind: 'Job', document: plan.job },
      { kind: 'Pod', document: plan.worker },
    ];
  }

  /**
   * Inside the scheduler Job (`flowenv execute`): onStart; then a Dask scheduler in this process
   * (LocalDaskCluster, no local workers), worker pods scaled between minWorkers and maxWorkers by the
   * flow's unfinished tasks, the flow run with DaskExecutor; then, in `finally`, every worker pod
   * deleted and the scheduler stopped — and only then onExit (teardown runs before onExit).
   */
  override async runFlow(): Promise<FlowRunResult> {
    return runWithLifecycle(this.lifecycleHooks(), async () => {
      const config = loadConfig();
      const runContext = runContextFromConfig(config);
      if (!runContext.flowFilePath) {
        throw new FlowenvError({ code: 'FLOW_LOAD_FAILED', message: 'No flow file to run: set PREFECT__CONTEXT__FLOW_FILE_PATH to the flow module inside the image' });
      }
      const image = runContext.image ?? '';
      if (image === '') throw new FlowenvError({ code: 'FLOW_LOAD_FAILED', message: 'DaskKubernetesEnvironment.runFlow needs the flow image for its workers: set PREFECT__CONTEXT__IMAGE' });
      const flow = await loadFlow(runContext.flowFilePath);
      const secrets = await resolveStorageSecrets(flow.storage?.secrets ?? [], runContext.secrets);
      const settings = injectionSettingsFromConfig(config);
      const identifier = runContext.identifier || randomUUID();
      const api = await this.connect({ inCluster: true });
      const namespace = this.resolveNamespace(runContext.namespace, api.contextNamespace);
      // Read before anything starts: a worker spec file missing from the image is reported here.
      const workerSpec = this.workerSpec;
      // The scheduler listens on the address worker pods dial: the pod's IP in a cluster (127.0.0.1
      // only outside one), so workers on other nodes reach it.
      const host = this.schedulerHost ?? (config.getString('context.pod_ip', '') || '127.0.0.1');
      const cluster = await this.#startScheduler(host);
      const port = new URL(cluster.address).port;
      const podName = config.getString('context.pod_name', '');
      const podUid = config.getString('context.pod_uid', '');
      const workerInput: WorkerPodInput = {
        image,
        namespace,
        identifier,
        flowRunId: runContext.flowRunId,
        graphqlUrl: settings.graphqlUrl,
        authTokenSecret: settings.authToken === '' ? undefined : { name: perRunSecretName(identifier), key: DEFAULT_AUTH_TOKEN_SECRET_KEY },
        extraLoggers: settings.extraLoggers,
        logToCloud: settings.logToCloud,
        schedulerLogs: this.schedulerLogs,
        privateRegistry: this.privateRegistry,
        schedulerAddress: `tcp://${host}:${port}`,
        owner: podName !== '' && podUid !== '' ? { name: podName, uid: podUid } : undefined,
        template: this.#workerSpec === undefined ? 'default' : 'custom',
      };
      const pool = new WorkerPool({ api, namespace, identifier, buildPod: () => buildWorkerPod(workerSpec, workerInput), logger: this.logger });
      const finished = new Set<string>();
      const total = flow.tasks.length;
      let adapting = Promise.resolve();
      const target = (): number => adaptiveTarget(total - finished.size, this.minWorkers, this.maxWorkers);
      const adapt = (): void => {
        adapting = adapting
          .then(() => pool.scaleTo(target()))
          .catch((error: unknown) => this.logger.error(`Could not scale the Dask worker pods: ${describeError(error)}`));
      };
      let timer: ReturnType<typeof setInterval> | undefined;
      try {
        // The first pods must start (a 403 here would leave the flow waiting for workers forever); later failures are logged and retried.
        await pool.scaleTo(target());
        timer = setInterval(adapt, this.adaptIntervalMs);
        // The executor object comes with this bundle: a flow image cannot import `@flowenv/dask` by name.
        return await runLoadedFlow(flow, {
          config,
          executor: this.#createExecutor(cluster.address),
          runContext: { ...runContext, secrets },
          onTaskState: (taskName, state) => {
            if (isFinishedState(state)) finished.add(taskName);
          },
        });
      } finally {
        if (timer !== undefined) clearInterval(timer);
        await adapting;
        await pool.close();
        await cluster.close().catch((error: unknown) => this.logger.warn(`Could not stop the Dask scheduler: ${describeError(error)}`));
        this.logger.info(`Dask cluster torn down (at most ${pool.peak} worker pod(s) ran at once)`);
      }
    });
  }

  protected override serializedFields(): Record<string, unknown> {
    return { docker_secret: this.dockerSecret ?? null, private_registry: this.privateRegistry, min_workers: this.minWorkers, max_workers: this.maxWorkers };
  }

  private plan(image: string, flowLocation: string, options: ExecuteOptions, kubeConfigNamespace: string | undefined, withToken: boolean): PlannedRun {
    const config = loadConfig();
    const settings = injectionSettingsFromConfig(config);
    registerSecretValue(settings.authToken);
    const runContext = { ...runContextFromConfig(config), ...options.runContext };
    // One identifier per execute, passed to the Job as PREFECT__CONTEXT__IDENTIFIER so the worker pods share it (spec §9.3).
    const identifier = randomUUID();
    const namespace = this.resolveNamespace(runContext.namespace, kubeConfigNamespace);
    let authTokenSecret: AuthTokenSecretRef | undefined;
    let secret: V1Secret | undefined;
    if (settings.authToken !== '') {
      authTokenSecret = { name: perRunSecretName(identifier), key: DEFAULT_AUTH_TOKEN_SECRET_KEY };
      secret = buildAuthTokenSecret({
        name: authTokenSecret.name,
        namespace,
        key: DEFAULT_AUTH_TOKEN_SECRET_KEY,
        token: withToken ? settings.authToken : undefined,
        run: { identifier, flowRunId: runContext.flowRunId },
      });
    }
    const common = {
      image,
      namespace,
      identifier,
      flowRunId: runContext.flowRunId,
      graphqlUrl: settings.graphqlUrl,
      authTokenSecret,
      extraLoggers: settings.extraLoggers,
      logToCloud: settings.logToCloud,
      schedulerLogs: this.schedulerLogs,
      privateRegistry: this.privateRegistry,
    };
    const job = buildSchedulerJob(this.schedulerSpec, {
      ...common,
      flowFilePath: flowLocation,
      workStealing: this.workStealing,
      template: this.#schedulerSpec === undefined ? 'default' : 'custom',
      parameters: options.parameters,
    });
    const worker = buildWorkerPod(this.workerSpec, {
      ...common,
      schedulerAddress: 'tcp://$(SCHEDULER_POD_IP):8786',
      template: this.#workerSpec === undefined ? 'default' : 'custom',
    });
    return { identifier, namespace, job, worker, secret };
  }

  /** Option → run context → scheduler spec → kubeconfig context → "default". */
  private resolveNamespace(contextNamespace: string | undefined, kubeConfigNamespace: string | undefined): string {
    const specNamespace = this.#schedulerSpec !== undefined && 'spec' in this.#schedulerSpec ? this.#schedulerSpec.spec.metadata?.namespace : undefined;
    return [this.namespace, contextNamespace, specNamespace, kubeConfigNamespace].find((value) => value !== undefined && value !== null && value !== '') ?? 'default';
  }

  /**
   * The cluster connection, made once per environment object. `inCluster` (runFlow, inside the
   * scheduler Job): the pod's service account read directly, without loading the SDK.
   */
  private connect(options: { inCluster?: boolean } = {}): Promise<KubernetesApi> {
    if (this.#injectedApi !== undefined) return Promise.resolve(this.#injectedApi);
    if (options.inCluster && this.#kubeConfig === undefined && isInCluster()) {
      return Promise.resolve(createKubernetesApi(inClusterConnection()));
    }
    this.#api ??= loadKubeConfig(this.#kubeConfig).then(createKubernetesApi);
    this.#api.catch(() => (this.#api = undefined));
    return this.#api;
  }

  private async kubeConfigNamespace(): Promise<string | undefined> {
    if (this.#injectedApi !== undefined) return this.#injectedApi.contextNamespace;
    try {
      return (await this.connect()).contextNamespace;
    } catch (error) {
      this.logger.debug(`No kubeconfig namespace for render: ${describeError(error)}`);
      return undefined;
    }
  }
}

function loadOptionalSpec(kind: SpecKind, file: string | undefined): LoadedSpec<SchedulerSpec | WorkerSpec> {
  if (file === undefined) return undefined;
  try {
    return { spec: kind === 'scheduler' ? loadDaskSpec('scheduler', file) : loadDaskSpec('worker', file) };
  } catch (error) {
    // The flow module is also loaded inside its image, where the spec file usually is not (and
    // where only runFlow, which needs the worker spec, runs): an absent file is reported when a
    // spec is needed. Invalid content fails here.
    if (FlowenvError.isInstance(error) && (error.cause as { code?: unknown } | undefined)?.code === 'ENOENT') return { missing: error };
    throw error;
  }
}

function specOf<T>(loaded: LoadedSpec<T>, fallback: () => T): T {
  if (loaded === undefined) return fallback();
  if ('missing' in loaded) throw loaded.missing;
  return loaded.spec;
}

function imageOf(storage: Storage): string {
  if (!hasContainerImage(storage)) {
    throw new FlowenvError({
      code: 'STORAGE_NOT_SUPPORTED',
      message: `DaskKubernetesEnvironment runs flows from a container image, but ${storage.type} has none: use DockerStorage (@flowenv/storage-docker)`,
    });
  }
  if (typeof storage.name !== 'string' || storage.name === '') {
    throw new FlowenvError({
      code: 'STORAGE_INVALID',
      message: `DaskKubernetesEnvironment needs the full image name of the ${storage.type}, which has none yet: give the storage an image name (registry/image:tag) and build it first`,
    });
  }
  return storage.name;
}
