import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import {
  describeError,
  Environment,
  FlowenvError,
  hasContainerImage,
  injectionSettingsFromConfig,
  loadConfig,
  parseOptions,
  registerSecretValue,
  runContextFromConfig,
  runFlowFromContext,
  type ExecuteOptions,
  type FlowRunResult,
  type RenderedDocument,
  type RunHandle,
  type Storage,
} from '@flowenv/core';
import type { KubeConfig, V1Job, V1Secret } from '@kubernetes/client-node';
import { buildAuthTokenSecret, DEFAULT_AUTH_TOKEN_SECRET_KEY, perRunSecretName } from './build-auth-token-secret.js';
import { buildJobManifest, type AuthTokenSecretRef } from './build-job-manifest.js';
import { createKubernetesApi } from './create-kubernetes-api.js';
import type { KubernetesApi } from './kubernetes-api.js';
import { kubernetesJobOptionsSchema, type KubernetesJobEnvironmentOptions } from './kubernetes-job-options.js';
import { loadKubeConfig } from './load-kube-config.js';
import { DEFAULT_JOB_SPEC, loadJobSpec, type JobSpec } from './load-job-spec.js';
import { resolveJobNamespace } from './resolve-job-namespace.js';
import { adoptSecret, deleteSecretQuietly, ensureSecret, submitJob } from './submit-job.js';
import { createJobHandle } from './watch-job.js';

const defaultStuckTimeoutSeconds = 120;

/** What one run submits: built without touching the cluster. */
interface PlannedRun {
  identifier: string;
  namespace: string;
  job: V1Job;
  /** The token's Secret, when execute writes one; `perRun` Secrets belong to the run's Job. */
  secret: { manifest: V1Secret; perRun: boolean } | undefined;
}

/**
 * Runs each flow run as a Kubernetes Job (Prefect 0.11 KubernetesJobEnvironment). `execute`
 * submits the Job built from the spec file by {@link buildJobManifest} — the storage's image, the
 * `flowenv execute` command, the PREFECT__ variables merged by name, the run's labels — and returns
 * a handle that follows it (wait, logs, cancel); `runFlow` is what `flowenv execute` calls inside
 * the Job's container; `render` shows what execute would submit. The API token travels through a
 * Secret, never as a plain value in the Job.
 */
export class KubernetesJobEnvironment extends Environment {
  static override readonly type: string = 'KubernetesJobEnvironment';
  /** The spec file's absolute path; undefined when the default Job is used. */
  readonly jobSpecFile: string | undefined;
  readonly uniqueJobName: boolean;
  readonly executorOptions: Record<string, unknown>;
  readonly namespace: string | undefined;
  readonly authTokenSecretName: string | undefined;
  readonly authTokenSecretKey: string;
  readonly stuckTimeoutSeconds: number;
  readonly #jobSpec: JobSpec | undefined;
  /** Why the spec file could not be read here (it does not exist where the flow module was loaded). */
  readonly #jobSpecMissing: FlowenvError | undefined;
  readonly #kubeConfig: KubeConfig | string | undefined;
  readonly #injectedApi: KubernetesApi | undefined;
  #api: Promise<KubernetesApi> | undefined;

  constructor(options: KubernetesJobEnvironmentOptions = {}) {
    super(options);
    const parsed = parseOptions(new.target.name, kubernetesJobOptionsSchema, options);
    if (parsed.jobSpecFile) {
      this.jobSpecFile = resolve(parsed.jobSpecFile);
      try {
        this.#jobSpec = loadJobSpec(this.jobSpecFile).spec;
      } catch (error) {
        // The flow module is also loaded inside its image (DockerStorage's health check, the Job's
        // own container), where the spec file is not, and where only runFlow runs: a missing file
        // is reported when execute or render needs the spec. Invalid content fails here.
        if (!(FlowenvError.isInstance(error) && (error.cause as { code?: unknown } | undefined)?.code === 'ENOENT')) throw error;
        this.#jobSpecMissing = error;
      }
    } else {
      this.jobSpecFile = undefined;
      this.#jobSpec = DEFAULT_JOB_SPEC;
    }
    this.uniqueJobName = parsed.uniqueJobName ?? true;
    this.executorOptions = { ...(parsed.executorOptions ?? {}) };
    this.namespace = parsed.namespace ?? undefined;
    this.authTokenSecretName = parsed.authTokenSecretName ?? undefined;
    this.authTokenSecretKey = parsed.authTokenSecretKey ?? DEFAULT_AUTH_TOKEN_SECRET_KEY;
    this.stuckTimeoutSeconds = parsed.stuckTimeoutSeconds ?? defaultStuckTimeoutSeconds;
    this.#kubeConfig = parsed.kubeConfig ?? undefined;
    this.#injectedApi = parsed.api ?? undefined;
  }

  static fromSerialized(fields: Record<string, unknown>): KubernetesJobEnvironment {
    // Only labels travel (spec 5.2): the spec file, like 0.11's, lives with the flow module.
    return new KubernetesJobEnvironment({ labels: fields['labels'] as string[] });
  }

  /**
   * The parsed, checked and frozen spec (read once, at construction; the default Job without
   * `jobSpecFile`). Throws OPTIONS_INVALID, naming the file, when the file did not exist where this
   * environment was constructed.
   */
  get jobSpec(): JobSpec {
    if (this.#jobSpec === undefined) throw this.#jobSpecMissing ?? new FlowenvError({ code: 'OPTIONS_INVALID', message: 'KubernetesJobEnvironment has no job spec' });
    return this.#jobSpec;
  }

  /** What the image must contain besides flowenv: the Kubernetes SDK this package imports (0.11: `kubernetes`). */
  override get dependencies(): string[] {
    return ['@kubernetes/client-node'];
  }

  /**
   * Submits the run's Job (and first the token's Secret, when a token is configured) and returns a
   * handle on it. Needs a storage with a container image (DockerStorage).
   */
  override async execute(storage: Storage, flowLocation: string, options: ExecuteOptions = {}): Promise<RunHandle> {
    const image = imageOf(storage);
    // Reported before any cluster call: a spec file that was not found where the flow was loaded.
    void this.jobSpec;
    const api = await this.connect();
    const plan = this.plan(image, flowLocation, options, api.contextNamespace, true);
    const secret = plan.secret;
    if (secret !== undefined) await ensureSecret(api, secret.manifest);
    let job: V1Job;
    try {
      job = await submitJob(api, plan.job, { identifier: plan.identifier });
    } catch (error) {
      this.logger.critical(`Failed to create Kubernetes job: ${describeError(error)}`);
      if (secret?.perRun) await deleteSecretQuietly(api, plan.namespace, secret.manifest.metadata?.name ?? '', this.logger);
      throw error;
    }
    const jobName = job.metadata?.name ?? '';
    let unownedSecretName: string | undefined;
    if (secret?.perRun && !(await adoptSecret(api, secret.manifest, job, this.logger))) unownedSecretName = secret.manifest.metadata?.name;
    this.logger.info(`Created Job ${jobName} in namespace ${plan.namespace} (identifier ${plan.identifier})`);
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

  /**
   * What execute would submit (`flowenv render`): the token's Secret without its data, when a token
   * is configured, and the Job. Each call builds a new run identifier, as each execute does. Reads
   * the kubeconfig for its namespace when there is one, never contacts the cluster.
   */
  override async render(storage: Storage, flowLocation: string, options: ExecuteOptions = {}): Promise<RenderedDocument[]> {
    const image = imageOf(storage);
    const plan = this.plan(image, flowLocation, options, await this.kubeConfigNamespace(), false);
    return [
      ...(plan.secret === undefined ? [] : [{ kind: 'Secret', document: plan.secret.manifest }]),
      { kind: 'Job', document: plan.job },
    ];
  }

  /** Inside the Job (`flowenv execute`): the flow with storage secrets fetched by name, the configured executor with `executorOptions`, and the hooks. */
  override async runFlow(): Promise<FlowRunResult> {
    return runFlowFromContext({ hooks: this.lifecycleHooks(), executorOptions: this.executorOptions });
  }

  private plan(image: string, flowLocation: string, options: ExecuteOptions, kubeConfigNamespace: string | undefined, withToken: boolean): PlannedRun {
    const config = loadConfig();
    const settings = injectionSettingsFromConfig(config);
    registerSecretValue(settings.authToken);
    const runContext = { ...runContextFromConfig(config), ...options.runContext };
    const identifier = randomUUID();
    const namespace = resolveJobNamespace({
      option: this.namespace,
      context: runContext.namespace,
      spec: this.jobSpec.metadata?.namespace,
      kubeConfig: kubeConfigNamespace,
    });
    const token = settings.authToken;
    let authTokenSecret: AuthTokenSecretRef | undefined;
    let secret: PlannedRun['secret'];
    if (this.authTokenSecretName !== undefined) {
      authTokenSecret = { name: this.authTokenSecretName, key: this.authTokenSecretKey };
      if (token !== '') {
        const manifest = buildAuthTokenSecret({ name: this.authTokenSecretName, namespace, key: this.authTokenSecretKey, token: withToken ? token : undefined });
        secret = { manifest, perRun: false };
      }
    } else if (token !== '') {
      authTokenSecret = { name: perRunSecretName(identifier), key: this.authTokenSecretKey };
      const manifest = buildAuthTokenSecret({
        name: authTokenSecret.name,
        namespace,
        key: this.authTokenSecretKey,
        token: withToken ? token : undefined,
        run: { identifier, flowRunId: runContext.flowRunId },
      });
      secret = { manifest, perRun: true };
    }
    const job = buildJobManifest(this.jobSpec, {
      image,
      flowFilePath: flowLocation,
      namespace,
      identifier,
      flowRunId: runContext.flowRunId,
      graphqlUrl: settings.graphqlUrl,
      extraLoggers: settings.extraLoggers,
      authTokenSecret,
      uniqueJobName: this.uniqueJobName,
      parameters: options.parameters,
    });
    return { identifier, namespace, job, secret };
  }

  /** The cluster connection, made once per environment object. */
  private connect(): Promise<KubernetesApi> {
    if (this.#injectedApi !== undefined) return Promise.resolve(this.#injectedApi);
    this.#api ??= loadKubeConfig(this.#kubeConfig).then(createKubernetesApi);
    // A failed attempt (no kubeconfig yet) is not cached: the next execute tries again.
    this.#api.catch(() => (this.#api = undefined));
    return this.#api;
  }

  /** The kubeconfig context's namespace for render, if a kubeconfig can be read; never an error. */
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

function imageOf(storage: Storage): string {
  if (!hasContainerImage(storage)) {
    throw new FlowenvError({
      code: 'STORAGE_NOT_SUPPORTED',
      message: `KubernetesJobEnvironment runs flows from a container image, but ${storage.type} has none: use DockerStorage (@flowenv/storage-docker)`,
    });
  }
  if (typeof storage.name !== 'string' || storage.name === '') {
    throw new FlowenvError({
      code: 'STORAGE_INVALID',
      message: `KubernetesJobEnvironment needs the full image name of the ${storage.type}, which has none yet: give the storage an image name (registry/image:tag) and build it first`,
    });
  }
  return storage.name;
}
