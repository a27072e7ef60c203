import { daskSecuritySchema, type DaskSecurity } from '@flowenv/dask';
import { FlowenvError, formatIssues } from '@flowenv/core';
import { z } from 'zod';
import type { AwsClientSettings, AwsClients, CredentialValues } from './aws-clients.js';

/**
 * Options of the built-in `"FargateCluster"` and `"ECSCluster"` providers (Prefect 0.11 passed
 * them as keyword arguments to dask-cloudprovider's FargateCluster / ECSCluster; here they are
 * camelCased and checked). They are top-level options of DaskCloudProviderEnvironment and reach
 * `onExecute` as its `providerOptions`.
 */
export interface EcsClusterOptions {
  /** Worker tasks started with the cluster (default 1; 0 is allowed with adaptive bounds). */
  nWorkers?: number;
  /**
   * Image of the scheduler and the workers: it needs Python `distributed`, Node, @flowenv/dask
   * and the flow module (the flow's own image). Default: the storage's image (DockerStorage),
   * else PREFECT__CONTEXT__IMAGE.
   */
  image?: string;
  /** Scheduler task CPU units (default 1024). */
  schedulerCpu?: number;
  /** Scheduler task memory in MiB (default 4096). */
  schedulerMemory?: number;
  /** Worker task CPU units (default 4096). */
  workerCpu?: number;
  /** Worker task memory in MiB (default 16384); also the worker's `--memory-limit`. */
  workerMemory?: number;
  /** Threads per worker (default workerCpu / 1024, at least 1). */
  workerThreads?: number;
  /** Role the containers run as. Default: none, or a role created for the run when `taskRolePolicyArns` is given. */
  taskRoleArn?: string;
  /** Managed policies attached to the task role created for the run (default none). Ignored with `taskRoleArn`. */
  taskRolePolicyArns?: string[];
  /** Role ECS uses to pull the image and write logs. Default: a role created for the run, allowed exactly that. */
  executionRoleArn?: string;
  /** ECS cluster to run in. Default: a cluster created for the run (`"FargateCluster"` only; `"ECSCluster"` needs one with EC2 capacity). */
  clusterArn?: string;
  /** VPC of the security group created for the run. Default: the VPC of `subnets`, else the region's default VPC. */
  vpc?: string;
  /** Subnets of the tasks. Default: every subnet of `vpc` (or of the default VPC). */
  subnets?: string[];
  /** Security groups of the tasks. Default: one created for the run that admits the Dask ports 8786-8787 only from itself. */
  securityGroups?: string[];
  /** Security groups (e.g. the agent's) also admitted to ports 8786-8787 of the created group, so the flow's process can reach the scheduler. Default none. */
  clientSecurityGroups?: string[];
  /** Give the tasks public IPs (default false: private IPs only; 0.11's dask-cloudprovider made them public). */
  assignPublicIp?: boolean;
  /** CloudWatch Logs group of the containers; it must exist. Default: a group created for the run (deleted with it). */
  logGroupName?: string;
  /** Task definition families are `<familyPrefix>-scheduler` and `<familyPrefix>-worker` (default `flowenv-dask`). */
  familyPrefix?: string;
  /** Scheduler command without options (default `["dask", "scheduler"]`). */
  schedulerCommand?: string[];
  /** Worker command without options (default `["dask", "worker"]`). */
  workerCommand?: string[];
  /** Extra environment variables of the scheduler and the workers (default none). */
  environment?: Record<string, string>;
  /** The scheduler exits after this long without work (default 300), so a run whose process died does not keep it forever. */
  schedulerIdleTimeoutSeconds?: number;
  /** A worker exits after this long without its scheduler (default 60). */
  workerDeathTimeoutSeconds?: number;
  /** Tags on every resource, besides flowenv's own (default none). */
  tags?: Record<string, string>;
  /** AWS region. Default: the SDK's chain (AWS_REGION, ~/.aws/config). */
  regionName?: string;
  /** Default: the SDK's chain (AWS_ACCESS_KEY_ID, task role, ~/.aws, …). Never serialized, masked in logs. */
  awsAccessKeyId?: string;
  /** Default: the SDK's chain (AWS_SECRET_ACCESS_KEY, …). Never serialized, masked in logs. */
  awsSecretAccessKey?: string;
  /** Default: the SDK's chain (AWS_SESSION_TOKEN). Never serialized, masked in logs. */
  awsSessionToken?: string;
  /** One endpoint for ECS, EC2, IAM, CloudWatch Logs and Secrets Manager instead of AWS's (moto, LocalStack). Default none. */
  endpoint?: string;
  /** How long the scheduler task may take to get its address and run (default 300000 ms). */
  schedulerTimeoutMs?: number;
  /** How long worker tasks may take to run (default 300000 ms). */
  workerTimeoutMs?: number;
  /** How long teardown may wait for tasks to stop and network interfaces to go (default 300000 ms). */
  teardownTimeoutMs?: number;
  /** Longest wait between two DescribeTasks calls (default 2000 ms). */
  pollIntervalMs?: number;
  /**
   * Keep the task definitions this run registered when their content can be reused by the next
   * run (default true, as Prefect 0.11 forced `skip_cleanup=True`). Definitions that reference a
   * role, log group or secret created for the run are always deregistered; since every definition
   * references the run's TLS secret, the built-in providers currently deregister all of them.
   */
  skipCleanup?: boolean;
  /** Validity of the temporary TLS certificates (default 7 days). */
  certificateValidityDays?: number;
  /** TLS files to use instead of temporary certificates: their contents go to the scheduler and workers through the run's secret. */
  security?: DaskSecurity | null;
  /** Makes the five SDK clients (default: real ones); for tests and custom middleware. */
  createClients?: (settings: AwsClientSettings) => AwsClients;
}

const nonEmpty = z.string().min(1);
const positive = z.number().int().positive();
const milliseconds = z.number().int().positive();

/** The zod shape of {@link EcsClusterOptions} (every key optional; `null` means "default"). */
export const ecsClusterOptionsShape = {
  nWorkers: z.number().int().nonnegative().nullish(),
  image: nonEmpty.nullish(),
  schedulerCpu: positive.nullish(),
  schedulerMemory: positive.nullish(),
  workerCpu: positive.nullish(),
  workerMemory: positive.nullish(),
  workerThreads: positive.nullish(),
  taskRoleArn: z.string().startsWith('arn:', 'expected an IAM role ARN').nullish(),
  taskRolePolicyArns: z.array(z.string().startsWith('arn:', 'expected a policy ARN')).nullish(),
  executionRoleArn: z.string().startsWith('arn:', 'expected an IAM role ARN').nullish(),
  clusterArn: nonEmpty.nullish(),
  vpc: nonEmpty.nullish(),
  subnets: z.array(nonEmpty).min(1).nullish(),
  securityGroups: z.array(nonEmpty).min(1).nullish(),
  clientSecurityGroups: z.array(nonEmpty).nullish(),
  assignPublicIp: z.boolean().nullish(),
  logGroupName: nonEmpty.nullish(),
  familyPrefix: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'letters, digits, - and _ only (an ECS family name)').nullish(),
  schedulerCommand: z.array(nonEmpty).min(1).nullish(),
  workerCommand: z.array(nonEmpty).min(1).nullish(),
  environment: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'), z.string()).nullish(),
  schedulerIdleTimeoutSeconds: positive.nullish(),
  workerDeathTimeoutSeconds: positive.nullish(),
  tags: z.record(nonEmpty, z.string()).nullish(),
  regionName: nonEmpty.nullish(),
  awsAccessKeyId: nonEmpty.nullish(),
  awsSecretAccessKey: nonEmpty.nullish(),
  awsSessionToken: nonEmpty.nullish(),
  endpoint: z.url().nullish(),
  schedulerTimeoutMs: milliseconds.nullish(),
  workerTimeoutMs: milliseconds.nullish(),
  teardownTimeoutMs: milliseconds.nullish(),
  pollIntervalMs: milliseconds.nullish(),
  skipCleanup: z.boolean().nullish(),
  certificateValidityDays: positive.nullish(),
  security: daskSecuritySchema.nullish(),
  createClients: z.custom<(settings: AwsClientSettings) => AwsClients>((value) => typeof value === 'function', 'expected a function').nullish(),
};

/** The option keys the built-in providers know. */
export const ecsClusterOptionKeys: readonly string[] = Object.keys(ecsClusterOptionsShape);

const ecsClusterOptionsSchema = z.object(ecsClusterOptionsShape).strict();

export type LaunchType = 'FARGATE' | 'EC2';

/** Every option with its default applied: what the builders work from. */
export interface EcsClusterSettings {
  launchType: LaunchType;
  nWorkers: number;
  image: string;
  schedulerCpu: number;
  schedulerMemory: number;
  workerCpu: number;
  workerMemory: number;
  workerThreads: number;
  taskRoleArn: string | undefined;
  taskRolePolicyArns: string[];
  executionRoleArn: string | undefined;
  clusterArn: string | undefined;
  vpc: string | undefined;
  subnets: string[] | undefined;
  securityGroups: string[] | undefined;
  clientSecurityGroups: string[];
  assignPublicIp: boolean;
  logGroupName: string | undefined;
  familyPrefix: string;
  schedulerCommand: string[];
  workerCommand: string[];
  environment: Record<string, string>;
  schedulerIdleTimeoutSeconds: number;
  workerDeathTimeoutSeconds: number;
  tags: Record<string, string>;
  regionName: string | undefined;
  endpoint: string | undefined;
  schedulerTimeoutMs: number;
  workerTimeoutMs: number;
  teardownTimeoutMs: number;
  pollIntervalMs: number;
  skipCleanup: boolean;
  certificateValidityDays: number;
  security: DaskSecurity | undefined;
  credentials: CredentialValues;
  createClients: ((settings: AwsClientSettings) => AwsClients) | undefined;
}

/** Tag keys flowenv puts on what it creates. */
export const RUN_TAG = 'flowenv:run';
export const MANAGED_BY_TAG = 'flowenv:managed-by';
export const MANAGED_BY = '@flowenv/env-dask-cloudprovider';

/**
 * Checks the options (OPTIONS_INVALID naming the field; they may come from onExecute) and applies
 * the defaults (dask-cloudprovider's sizes: scheduler 1 vCPU / 4 GiB, workers 4 vCPU / 16 GiB).
 */
export function resolveEcsClusterSettings(options: Record<string, unknown>, launchType: LaunchType): EcsClusterSettings {
  const parsed = ecsClusterOptionsSchema.safeParse(options);
  const provider = launchType === 'FARGATE' ? 'FargateCluster' : 'ECSCluster';
  if (!parsed.success) {
    throw new FlowenvError({ code: 'OPTIONS_INVALID', message: `${provider}: invalid provider options: ${formatIssues(parsed.error.issues)}`, cause: parsed.error });
  }
  const value = parsed.data;
  const invalid = (field: string, message: string): FlowenvError =>
    new FlowenvError({ code: 'OPTIONS_INVALID', message: `${provider}: invalid provider options: \`${field}\`: ${message}` });
  if (!value.image) {
    throw invalid('image', 'the scheduler and workers need an image: pass `image`, use a DockerStorage (its image is the default), or set PREFECT__CONTEXT__IMAGE');
  }
  if (launchType === 'EC2' && !value.clusterArn) {
    throw invalid('clusterArn', 'ECSCluster runs on the EC2 capacity of an existing cluster: pass its ARN, or use "FargateCluster" to have one created');
  }
  if (value.securityGroups && value.clientSecurityGroups && value.clientSecurityGroups.length > 0) {
    throw invalid('clientSecurityGroups', 'only applies to the security group created for the run: with `securityGroups`, admit your clients in those groups yourself');
  }
  const workerCpu = value.workerCpu ?? 4096;
  return {
    launchType,
    nWorkers: value.nWorkers ?? 1,
    image: value.image,
    schedulerCpu: value.schedulerCpu ?? 1024,
    schedulerMemory: value.schedulerMemory ?? 4096,
    workerCpu,
    workerMemory: value.workerMemory ?? 16_384,
    workerThreads: value.workerThreads ?? Math.max(1, Math.floor(workerCpu / 1024)),
    taskRoleArn: value.taskRoleArn ?? undefined,
    taskRolePolicyArns: value.taskRoleArn ? [] : [...(value.taskRolePolicyArns ?? [])],
    executionRoleArn: value.executionRoleArn ?? undefined,
    clusterArn: value.clusterArn ?? undefined,
    vpc: value.vpc ?? undefined,
    subnets: value.subnets ? [...value.subnets] : undefined,
    securityGroups: value.securityGroups ? [...value.securityGroups] : undefined,
    clientSecurityGroups: [...(value.clientSecurityGroups ?? [])],
    assignPublicIp: value.assignPublicIp ?? false,
    logGroupName: value.logGroupName ?? undefined,
    familyPrefix: value.familyPrefix ?? 'flowenv-dask',
    schedulerCommand: [...(value.schedulerCommand ?? ['dask', 'scheduler'])],
    workerCommand: [...(value.workerCommand ?? ['dask', 'worker'])],
    environment: { ...(value.environment ?? {}) },
    schedulerIdleTimeoutSeconds: value.schedulerIdleTimeoutSeconds ?? 300,
    workerDeathTimeoutSeconds: value.workerDeathTimeoutSeconds ?? 60,
    tags: { ...(value.tags ?? {}) },
    regionName: value.regionName ?? undefined,
    endpoint: value.endpoint ?? undefined,
    schedulerTimeoutMs: value.schedulerTimeoutMs ?? 300_000,
    workerTimeoutMs: value.workerTimeoutMs ?? 300_000,
    teardownTimeoutMs: value.teardownTimeoutMs ?? 300_000,
    pollIntervalMs: value.pollIntervalMs ?? 2_000,
    skipCleanup: value.skipCleanup ?? true,
    certificateValidityDays: value.certificateValidityDays ?? 7,
    security: value.security ?? undefined,
    credentials: {
      accessKeyId: value.awsAccessKeyId ?? undefined,
      secretAccessKey: value.awsSecretAccessKey ?? undefined,
      sessionToken: value.awsSessionToken ?? undefined,
    },
    createClients: value.createClients ?? undefined,
  };
}
