import type {
  CapacityProviderStrategyItem,
  Compatibility,
  ContainerDefinition,
  InferenceAccelerator,
  IpcMode,
  NetworkConfiguration,
  NetworkMode,
  PidMode,
  PlacementConstraint,
  PlacementStrategy,
  PropagateTags,
  ProxyConfiguration,
  Tag,
  Volume,
} from '@aws-sdk/client-ecs';

/**
 * The RegisterTaskDefinition options a FargateTaskEnvironment accepts, flat (spec 3.1: 15 keys).
 * Values are passed to ECS unchanged, except `cpu` and `memory`, which ECS takes as text.
 */
export interface EcsTaskDefinitionOptions {
  /** The task definition family (required by setup; `taskDefinition` defaults to it). */
  family?: string;
  taskRoleArn?: string;
  /** The role ECS uses to pull the image, write awslogs and read `secrets` (needed with `authTokenSecretArn`). */
  executionRoleArn?: string;
  /** `awsvpc` for Fargate. */
  networkMode?: NetworkMode;
  /** The first one becomes `flow-container` with the storage's image and the `flowenv execute` command. Default `[{}]`. */
  containerDefinitions?: ContainerDefinition[];
  volumes?: Volume[];
  /** Goes to the task definition and to RunTask. */
  placementConstraints?: PlacementConstraint[];
  /** `["FARGATE"]` for Fargate. */
  requiresCompatibilities?: Compatibility[];
  /** Task CPU units (`"256"`, `"1024"`, or `"1 vCPU"`); a number is sent as text. */
  cpu?: string;
  /** Task memory in MiB (`"512"`, or `"1 GB"`); a number is sent as text. */
  memory?: string;
  /** Goes to the task definition and to RunTask. */
  tags?: Tag[];
  pidMode?: PidMode;
  ipcMode?: IpcMode;
  proxyConfiguration?: ProxyConfiguration;
  inferenceAccelerators?: InferenceAccelerator[];
}

/** The RunTask options a FargateTaskEnvironment accepts, flat (spec 3.1: 12 keys). */
export interface EcsRunTaskOptions {
  /** The cluster (default: the account's `default` cluster). */
  cluster?: string;
  /** The task definition to run (default: `family`; execute pins the revision setup found or registered). */
  taskDefinition?: string;
  count?: number;
  startedBy?: string;
  group?: string;
  placementConstraints?: PlacementConstraint[];
  placementStrategy?: PlacementStrategy[];
  platformVersion?: string;
  /** Subnets and security groups: required for `awsvpc` (every Fargate task). */
  networkConfiguration?: NetworkConfiguration;
  tags?: Tag[];
  enableECSManagedTags?: boolean;
  propagateTags?: PropagateTags;
}

/** Options that go to both RegisterTaskDefinition and RunTask. */
export type EcsOptions = EcsTaskDefinitionOptions & EcsRunTaskOptions;

/** The task-definition keys, in 0.11's order (spec 3.1). */
export const TASK_DEFINITION_KEYS = [
  'family',
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'containerDefinitions',
  'volumes',
  'placementConstraints',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'tags',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
] as const satisfies readonly (keyof EcsTaskDefinitionOptions)[];

/** The run-task keys, in 0.11's order (spec 3.1). `overrides` and `launchType` are not among them. */
export const RUN_TASK_KEYS = [
  'cluster',
  'taskDefinition',
  'count',
  'startedBy',
  'group',
  'placementConstraints',
  'placementStrategy',
  'platformVersion',
  'networkConfiguration',
  'tags',
  'enableECSManagedTags',
  'propagateTags',
] as const satisfies readonly (keyof EcsRunTaskOptions)[];

/** Capacity providers instead of a launch type (ECS refuses both in one RunTask). */
export type CapacityProviderStrategy = CapacityProviderStrategyItem[];

/**
 * Splits flat options into RegisterTaskDefinition and RunTask options, exactly as 0.11 did
 * (spec 3.1): each key goes where it belongs, `placementConstraints` and `tags` to both, values
 * untouched. Other keys (labels, launchType, …) are not ECS options and are left out; unknown keys
 * are rejected earlier, by the constructor's schema (0.11 dropped them silently).
 */
export function splitEcsOptions(options: Readonly<Record<string, unknown>>): {
  taskDefinition: EcsTaskDefinitionOptions;
  runTask: EcsRunTaskOptions;
} {
  return { taskDefinition: pick(options, TASK_DEFINITION_KEYS), runTask: pick(options, RUN_TASK_KEYS) };
}

function pick<Result>(options: Readonly<Record<string, unknown>>, keys: readonly string[]): Result {
  const picked: Record<string, unknown> = {};
  for (const key of keys) {
    if (Object.hasOwn(options, key) && options[key] !== undefined) picked[key] = options[key];
  }
  return picked as Result;
}
