import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { FlowenvError } from '@flowenv/core';

/** What the provider resolved for its AWS clients; undefined parts are left to the SDK's default chain. */
export interface AwsClientSettings {
  region?: string | undefined;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined } | undefined;
  /** One endpoint for ECS, EC2, IAM, CloudWatch Logs and Secrets Manager (moto, LocalStack). */
  endpoint?: string | undefined;
}

/** The five SDK clients the ECS provider uses. Anything with the SDK's `send` will do (tests pass fakes). */
export interface AwsClients {
  ecs: Pick<ECSClient, 'send'>;
  ec2: Pick<EC2Client, 'send'>;
  iam: Pick<IAMClient, 'send'>;
  logs: Pick<CloudWatchLogsClient, 'send'>;
  /** Holds each run's TLS material, which the tasks read through their definitions' `secrets`. */
  secrets: Pick<SecretsManagerClient, 'send'>;
}

/**
 * The default client factory: real SDK clients with the given region, credentials and endpoint.
 * Wrap it to add middleware (e.g. to count calls): `createClients: (settings) => { const clients =
 * createAwsClients(settings); clients.ecs.middlewareStack.add(…); return clients; }`.
 */
export function createAwsClients(settings: AwsClientSettings): { ecs: ECSClient; ec2: EC2Client; iam: IAMClient; logs: CloudWatchLogsClient; secrets: SecretsManagerClient } {
  const configuration = {
    ...(settings.region === undefined ? {} : { region: settings.region }),
    ...(settings.credentials === undefined ? {} : { credentials: settings.credentials }),
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
  };
  return {
    ecs: new ECSClient(configuration),
    ec2: new EC2Client(configuration),
    iam: new IAMClient(configuration),
    logs: new CloudWatchLogsClient(configuration),
    secrets: new SecretsManagerClient(configuration),
  };
}

/** The credential values the options hold. */
export interface CredentialValues {
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  sessionToken?: string | undefined;
}

/**
 * Settings for the client factory. Credentials are passed only when both the key id and the
 * secret are given; otherwise the SDK's default chain (AWS_ACCESS_KEY_ID…, task role, ~/.aws, SSO)
 * applies. One without the other is a mistake worth stopping for.
 */
export function awsClientSettings(credentials: CredentialValues, region: string | undefined, endpoint: string | undefined): AwsClientSettings {
  const { accessKeyId, secretAccessKey, sessionToken } = credentials;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    const [given, missing] = accessKeyId === undefined ? ['awsSecretAccessKey', 'awsAccessKeyId'] : ['awsAccessKeyId', 'awsSecretAccessKey'];
    throw new FlowenvError({
      code: 'AWS_CREDENTIALS_INVALID',
      message: `DaskCloudProviderEnvironment has ${given} but no ${missing}: pass both, or neither to use the AWS SDK's default credential chain`,
    });
  }
  return {
    region,
    endpoint,
    credentials: accessKeyId !== undefined && secretAccessKey !== undefined
      ? { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) }
      : undefined,
  };
}

/**
 * The region the clients use: the option, else what the SDK resolved (AWS_REGION, ~/.aws/config).
 * Needed for the awslogs driver and ARNs.
 */
export async function resolveRegion(clients: AwsClients, configured: string | undefined): Promise<string> {
  if (configured !== undefined) return configured;
  const config = (clients.ecs as { config?: { region?: unknown } }).config;
  try {
    const region = typeof config?.region === 'function' ? await (config.region as () => Promise<unknown>)() : config?.region;
    if (typeof region === 'string' && region !== '') return region;
  } catch {
    // fall through to the error below
  }
  throw new FlowenvError({
    code: 'AWS_REGION_INVALID',
    message: 'DaskCloudProviderEnvironment: no AWS region. Pass regionName, or set AWS_REGION (or a region in ~/.aws/config)',
  });
}

/** The partition of a region: `aws`, `aws-cn` or `aws-us-gov`. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
