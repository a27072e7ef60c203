import { environmentOptionsSchema, executorOptionsSchema, type EnvironmentOptions } from '@flowenv/core';
import { z } from 'zod';
import type { AwsClientSettings, AwsClients } from './aws-clients.js';
import type { CapacityProviderStrategy, EcsRunTaskOptions, EcsTaskDefinitionOptions } from './split-ecs-options.js';

export interface FargateTaskEnvironmentOptions extends EnvironmentOptions, Omit<EcsTaskDefinitionOptions, 'cpu' | 'memory'>, EcsRunTaskOptions {
  /** Task CPU units (`256`, `"1024"`, `"1 vCPU"`); sent as text. Required for Fargate. */
  cpu?: string | number;
  /** Task memory in MiB (`512`, `"2048"`, `"2 GB"`); sent as text. Required for Fargate. */
  memory?: string | number;
  /** `"FARGATE"` (default) or `"EC2"`. Not sent when `capacityProviderStrategy` is given. */
  launchType?: 'FARGATE' | 'EC2';
  /** Default: AWS_ACCESS_KEY_ID when the environment is constructed, then the SDK's default chain. Never serialized. */
  awsAccessKeyId?: string | null;
  /** Default: AWS_SECRET_ACCESS_KEY when the environment is constructed, then the SDK's default chain. Never serialized. */
  awsSecretAccessKey?: string | null;
  /** Default: AWS_SESSION_TOKEN when the environment is constructed. Never serialized. */
  awsSessionToken?: string | null;
  /** Default: REGION_NAME when the environment is constructed (0.11's variable), then the SDK's chain (AWS_REGION, ~/.aws/config). */
  regionName?: string | null;
  /** Options for the executor `engine.executor.default_class` names, inside the task (default `{}`). */
  executorOptions?: Record<string, unknown> | null;
  /** An ECS / CloudWatch Logs endpoint to use instead of AWS's (moto, LocalStack), e.g. `http://127.0.0.1:4566`. Default: none. */
  endpoint?: string | null;
  /**
   * ARN of a Secrets Manager secret or SSM parameter holding the API token: the flow container
   * gets PREFECT__CLOUD__AUTH_TOKEN through its `secrets` (`valueFrom`), never as a plain value.
   * Needs `executionRoleArn`. Default: none (then no token may be configured).
   */
  authTokenSecretArn?: string | null;
  /** Run on capacity providers (e.g. `[{ capacityProvider: "FARGATE_SPOT", weight: 1 }]`) instead of `launchType`. Default: none. */
  capacityProviderStrategy?: CapacityProviderStrategy | null;
  /** Longest wait between two DescribeTasks calls of `wait()`, in milliseconds (default 10 000, at least 100). */
  pollIntervalMs?: number | null;
  /** Makes the ECS and CloudWatch Logs clients (default: {@link createAwsClients}); for tests and custom middleware. */
  createClients?: ((settings: AwsClientSettings) => AwsClients) | null;
}

const nonEmpty = z.string().min(1);
const record = z.looseObject({});
const keyValue = z.looseObject({ name: z.string().min(1), value: z.string().optional() });
const tag = z.looseObject({ key: z.string().min(1), value: z.string().optional() });
const units = z.union([nonEmpty, z.number().int().positive()]).transform(String);

const containerDefinition = z.looseObject({
  name: z.string().optional(),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  environment: z.array(keyValue).nullish(),
  secrets: z.array(z.looseObject({ name: z.string().min(1), valueFrom: nonEmpty })).nullish(),
  logConfiguration: z.looseObject({ logDriver: nonEmpty, options: z.record(z.string(), z.string()).optional() }).optional(),
});

/** The 25 distinct ECS keys of spec 3.1, loosely typed: ECS itself checks the details. */
const ecsOptionsShape = {
  family: nonEmpty.optional(),
  taskRoleArn: nonEmpty.optional(),
  executionRoleArn: nonEmpty.optional(),
  networkMode: nonEmpty.optional(),
  containerDefinitions: z.array(containerDefinition).optional(),
  volumes: z.array(record).optional(),
  placementConstraints: z.array(record).optional(),
  requiresCompatibilities: z.array(nonEmpty).optional(),
  cpu: units.optional(),
  memory: units.optional(),
  tags: z.array(tag).optional(),
  pidMode: nonEmpty.optional(),
  ipcMode: nonEmpty.optional(),
  proxyConfiguration: record.optional(),
  inferenceAccelerators: z.array(record).optional(),
  cluster: nonEmpty.optional(),
  taskDefinition: nonEmpty.optional(),
  count: z.number().int().min(1).max(10).optional(),
  startedBy: nonEmpty.optional(),
  group: nonEmpty.optional(),
  placementStrategy: z.array(record).optional(),
  platformVersion: nonEmpty.optional(),
  networkConfiguration: record.optional(),
  enableECSManagedTags: z.boolean().optional(),
  propagateTags: nonEmpty.optional(),
};

export const fargateOptionsSchema = environmentOptionsSchema
  .extend({
    launchType: z.enum(['FARGATE', 'EC2']).optional(),
    awsAccessKeyId: z.string().nullish(),
    awsSecretAccessKey: z.string().nullish(),
    awsSessionToken: z.string().nullish(),
    regionName: z.string().nullish(),
    executorOptions: executorOptionsSchema.nullish(),
    endpoint: z.url().nullish(),
    authTokenSecretArn: z.string().startsWith('arn:', 'expected an ARN (arn:aws:secretsmanager:… or arn:aws:ssm:…)').nullish(),
    capacityProviderStrategy: z.array(z.looseObject({ capacityProvider: nonEmpty })).min(1).nullish(),
    pollIntervalMs: z.number().int().min(100).nullish(),
    createClients: z.custom<(settings: AwsClientSettings) => AwsClients>((value) => typeof value === 'function', 'expected a function').nullish(),
    ...ecsOptionsShape,
  })
  .strict()
  .superRefine((options, context) => {
    if (options.launchType !== undefined && options.capacityProviderStrategy) {
      context.addIssue({
        code: 'custom',
        path: ['capacityProviderStrategy'],
        message: 'ECS takes a launch type or a capacity provider strategy, not both: drop `launchType`',
      });
    }
    if (options.authTokenSecretArn && !options.executionRoleArn) {
      context.addIssue({
        code: 'custom',
        path: ['executionRoleArn'],
        message: 'required with `authTokenSecretArn`: ECS reads container secrets with the task execution role',
      });
    }
  });

export type ParsedFargateOptions = z.output<typeof fargateOptionsSchema>;
