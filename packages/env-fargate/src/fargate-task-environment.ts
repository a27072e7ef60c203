import { RunTaskCommand, type ContainerDefinition, type RegisterTaskDefinitionCommandInput, type RunTaskCommandInput } from '@aws-sdk/client-ecs';
import {
  describeError,
  Environment,
  FlowenvError,
  hasContainerImage,
  injectionSettingsFromConfig,
  loadConfig,
  parseOptions,
  environmentVariable,
  registerSecretValue,
  runContextFromConfig,
  runFlowFromContext,
  type ExecuteOptions,
  type FlowRunResult,
  type RenderedDocument,
  type RunHandle,
  type Storage,
} from '@flowenv/core';
import { awsClientSettings, createAwsClients, type AwsClientSettings, type AwsClients, type CredentialValues } from './aws-clients.js';
import { buildRunTaskRequest } from './build-run-task-request.js';
import { buildTaskDefinition } from './build-task-definition.js';
import { cachedTaskDefinitionArn, ensureTaskDefinition } from './ensure-task-definition.js';
import { fargateOptionsSchema, type FargateTaskEnvironmentOptions } from './fargate-options.js';
import { mapAwsError } from './map-aws-error.js';
import { retryThrottled } from './retry-throttled.js';
import { splitEcsOptions, type CapacityProviderStrategy, type EcsRunTaskOptions, type EcsTaskDefinitionOptions } from './split-ecs-options.js';
import { createTaskHandle } from './watch-task.js';

const defaultPollIntervalMs = 10_000;

/** The two requests of one run. */
interface PlannedRun {
  taskDefinition: RegisterTaskDefinitionCommandInput;
  runTask: RunTaskCommandInput;
}

/**
 * Runs each flow run as an AWS ECS task, on Fargate or EC2 (Prefect 0.11 FargateTaskEnvironment).
 * `setup` makes sure the family's latest task definition has the wanted content (registering a
 * revision only when it changed), `execute` starts the task with RunTask and returns a handle that
 * follows it, and `runFlow` is what `flowenv execute` calls inside the task.
 *
 * Credentials are kept in private fields: never serialized, never in rendered output, masked in logs.
 */
export class FargateTaskEnvironment extends Environment {
  static override readonly type: string = 'FargateTaskEnvironment';
  readonly launchType: 'FARGATE' | 'EC2';
  readonly regionName: string | undefined;
  readonly executorOptions: Record<string, unknown>;
  readonly endpoint: string | undefined;
  readonly authTokenSecretArn: string | undefined;
  readonly capacityProviderStrategy: CapacityProviderStrategy | undefined;
  readonly pollIntervalMs: number;
  /** The RegisterTaskDefinition options (0.11 `task_definition_kwargs`). */
  readonly taskDefinitionOptions: Readonly<EcsTaskDefinitionOptions>;
  /** The RunTask options (0.11 `task_run_kwargs`). */
  readonly runTaskOptions: Readonly<EcsRunTaskOptions>;
  readonly #credentials: CredentialValues;
  readonly #createClients: (settings: AwsClientSettings) => AwsClients;
  #clients: AwsClients | undefined;

  constructor(options: FargateTaskEnvironmentOptions = {}) {
    super(options);
    const parsed = parseOptions(new.target.name, fargateOptionsSchema, options);
    // 0.11 read these four variables when the environment was built (spec 3.4).
    const fromEnvironment = (value: string | null | undefined, variable: string): string | undefined =>
      nonEmpty(value) ?? nonEmpty(environmentVariable(variable));
    this.#credentials = {
      accessKeyId: fromEnvironment(parsed.awsAccessKeyId, 'AWS_ACCESS_KEY_ID'),
      secretAccessKey: fromEnvironment(parsed.awsSecretAccessKey, 'AWS_SECRET_ACCESS_KEY'),
      sessionToken: fromEnvironment(parsed.awsSessionToken, 'AWS_SESSION_TOKEN'),
    };
    for (const value of Object.values(this.#credentials)) registerSecretValue(value);
    this.regionName = fromEnvironment(parsed.regionName, 'REGION_NAME');
    this.launchType = parsed.launchType ?? 'FARGATE';
    this.executorOptions = { ...(parsed.executorOptions ?? {}) };
    this.endpoint = parsed.endpoint ?? undefined;
    this.authTokenSecretArn = parsed.authTokenSecretArn ?? undefined;
    this.capacityProviderStrategy = parsed.capacityProviderStrategy
      ? (structuredClone(parsed.capacityProviderStrategy) as CapacityProviderStrategy)
      : undefined;
    this.pollIntervalMs = parsed.pollIntervalMs ?? defaultPollIntervalMs;
    this.#createClients = parsed.createClients ?? createAwsClients;
    const split = splitEcsOptions(parsed);
    this.taskDefinitionOptions = deepFreeze(structuredClone(split.taskDefinition));
    this.runTaskOptions = deepFreeze(structuredClone(split.runTask));
  }

  static fromSerialized(fields: Record<string, unknown>): FargateTaskEnvironment {
    // Only labels travel (spec 5.2); like 0.11, credentials come from the loading process's variables.
    return new FargateTaskEnvironment({ labels: fields['labels'] as string[] });
  }

  /** AWS_ACCESS_KEY_ID or the `awsAccessKeyId` option, if any. */
  get awsAccessKeyId(): string | undefined {
    return this.#credentials.accessKeyId;
  }

  /** AWS_SECRET_ACCESS_KEY or the `awsSecretAccessKey` option, if any. */
  get awsSecretAccessKey(): string | undefined {
    return this.#credentials.secretAccessKey;
  }

  /** AWS_SESSION_TOKEN or the `awsSessionToken` option, if any. */
  get awsSessionToken(): string | undefined {
    return this.#credentials.sessionToken;
  }

  /** What the image must contain besides flowenv: the AWS SDK clients this package imports (0.11: boto3, botocore). */
  override get dependencies(): string[] {
    return ['@aws-sdk/client-ecs', '@aws-sdk/client-cloudwatch-logs'];
  }

  /** Makes sure the family's latest task definition is the wanted one, registering a revision only when its content changed. */
  override async setup(storage: Storage): Promise<void> {
    const { taskDefinition } = this.plan(storage, '', {});
    await this.ensure(taskDefinition);
  }

  /** Starts the task (RunTask) and returns a handle that follows it to the end. */
  override async execute(storage: Storage, flowLocation: string, options: ExecuteOptions = {}): Promise<RunHandle> {
    const planned = this.plan(storage, flowLocation, options);
    const request = planned.runTask;

    const clients = this.clients();
    const response = await retryThrottled(() => clients.ecs.send(new RunTaskCommand(request))).catch((error: unknown) => {
      throw mapAwsError(error, { action: 'ecs:RunTask', region: this.regionName, endpoint: this.endpoint });
    });
    const failures = response.failures ?? [];
    const taskArns = (response.tasks ?? []).map((task) => task.taskArn).filter((arn): arn is string => arn !== undefined);
    const handle = createTaskHandle({
      clients,
      clientsForRegion: (region) => this.#createClients({ ...this.clientSettings(), region }),
      cluster: request.cluster,
      taskArns,
      taskDefinitionArn: request.taskDefinition ?? '',
      flowContainer: planned.taskDefinition.containerDefinitions?.[0] as ContainerDefinition | undefined,
      pollIntervalMs: this.pollIntervalMs,
      logger: this.logger,
      region: this.regionName,
      endpoint: this.endpoint,
    });
    if (failures.length > 0 || taskArns.length === 0) {
      // With `count` > 1 some tasks may have started: stop them rather than leave a partial run behind.
      if (taskArns.length > 0) {
        await handle.cancel().catch((error: unknown) => this.logger.warn(`Could not stop the tasks RunTask did start: ${describeError(error)}`));
      }
      const reasons = failures.map((failure) => `${failure.arn ? `${failure.arn}: ` : ''}${failure.reason ?? 'unknown reason'}${failure.detail ? ` (${failure.detail})` : ''}`);
      throw new FlowenvError({
        code: 'AWS_RUN_TASK_FAILED',
        message: `RunTask did not start the task for ${request.taskDefinition}: ${reasons.length > 0 ? reasons.join('; ') : 'no task and no failure reported'}` +
          (taskArns.length > 0 ? ` (stopped the ones it started: ${taskArns.join(', ')})` : ''),
      });
    }
    this.logger.info(`Started ECS task ${taskArns.join(', ')} from ${request.taskDefinition}`);
    return handle;
  }

  /**
   * The task definition setup wants and the RunTask request execute would send (`flowenv render`).
   * Its `taskDefinition` is the family, or the exact revision when setup already ran in this process.
   */
  override async render(storage: Storage, flowLocation: string, options: ExecuteOptions = {}): Promise<RenderedDocument[]> {
    const { taskDefinition, runTask } = this.plan(storage, flowLocation, options);
    return [
      { kind: 'TaskDefinition', document: taskDefinition },
      { kind: 'RunTaskRequest', document: runTask },
    ];
  }

  /** Inside the task (`flowenv execute`): the flow with storage secrets fetched by name, the configured executor with `executorOptions`, and the hooks. */
  override async runFlow(): Promise<FlowRunResult> {
    return runFlowFromContext({ hooks: this.lifecycleHooks(), executorOptions: this.executorOptions });
  }

  private plan(storage: Storage, flowLocation: string, options: ExecuteOptions): PlannedRun {
    if (!hasContainerImage(storage)) {
      throw new FlowenvError({
        code: 'STORAGE_NOT_SUPPORTED',
        message: `FargateTaskEnvironment runs flows from a container image, but ${storage.type} has none: use DockerStorage (@flowenv/storage-docker)`,
      });
    }
    if (typeof storage.name !== 'string' || storage.name === '') {
      throw new FlowenvError({
        code: 'STORAGE_INVALID',
        message: `FargateTaskEnvironment needs the full image name of the ${storage.type}, which has none yet: give the storage an image name (registry/image:tag) and build it first`,
      });
    }
    const config = loadConfig();
    const settings = injectionSettingsFromConfig(config);
    registerSecretValue(settings.authToken);
    registerSecretValue(settings.agentAuthToken);
    const runContext = { ...runContextFromConfig(config), ...options.runContext };
    const taskDefinition = buildTaskDefinition(this.taskDefinitionOptions, {
      image: storage.name,
      graphqlUrl: settings.graphqlUrl,
      extraLoggers: settings.extraLoggers,
      authTokenSecretArn: this.authTokenSecretArn,
    });
    const runTask = buildRunTaskRequest(this.runTaskOptions, {
      family: this.taskDefinitionOptions.family,
      // The revision setup resolved in this process, if any: a newer revision of the family
      // (another flow sharing it) then cannot change what this run executes.
      taskDefinitionArn: cachedTaskDefinitionArn(taskDefinition, { scope: this.scope() }),
      launchType: this.launchType,
      capacityProviderStrategy: this.capacityProviderStrategy,
      image: storage.name,
      flowFilePath: flowLocation,
      flowRunId: runContext.flowRunId,
      authToken: settings.authToken,
      agentAuthToken: settings.agentAuthToken,
      authTokenSecretArn: this.authTokenSecretArn,
      parameters: options.parameters,
    });
    return { taskDefinition, runTask };
  }

  private async ensure(taskDefinition: RegisterTaskDefinitionCommandInput): Promise<string> {
    const result = await ensureTaskDefinition(this.clients(), taskDefinition, {
      scope: this.scope(),
      logger: this.logger,
      callContext: { region: this.regionName, endpoint: this.endpoint },
    });
    return result.taskDefinitionArn;
  }

  private clientSettings(): AwsClientSettings {
    return awsClientSettings(this.#credentials, this.regionName, this.endpoint);
  }

  private clients(): AwsClients {
    this.#clients ??= this.#createClients(this.clientSettings());
    return this.#clients;
  }

  /** Keeps the task definition cache of different endpoints, regions and identities apart. */
  private scope(): string {
    return [this.endpoint ?? '', this.regionName ?? '', this.#credentials.accessKeyId ?? ''].join('|');
  }
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
