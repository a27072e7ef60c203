import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient } from '@aws-sdk/client-ecs';
import { FlowenvError } from '@flowenv/core';

/** What the environment resolved for its AWS clients; undefined parts are left to the SDK's default chain. */
export interface AwsClientSettings {
  region?: string | undefined;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined } | undefined;
  /** Custom endpoint (moto, LocalStack). */
  endpoint?: string | undefined;
}

/** The two SDK clients the environment uses. Anything with the SDK's `send` will do (tests pass fakes). */
export interface AwsClients {
  ecs: Pick<ECSClient, 'send'>;
  logs: Pick<CloudWatchLogsClient, 'send'>;
}

/**
 * The default client factory: real SDK clients with the given region, credentials and endpoint.
 * Wrap it to add middleware (e.g. to count calls): `createClients: (settings) => { const clients =
 * createAwsClients(settings); clients.ecs.middlewareStack.add(…); return clients; }`.
 */
export function createAwsClients(settings: AwsClientSettings): { ecs: ECSClient; logs: CloudWatchLogsClient } {
  const configuration = {
    ...(settings.region === undefined ? {} : { region: settings.region }),
    ...(settings.credentials === undefined ? {} : { credentials: settings.credentials }),
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
  };
  return { ecs: new ECSClient(configuration), logs: new CloudWatchLogsClient(configuration) };
}

/** The credential values an environment holds (each from its option or its env var). */
export interface CredentialValues {
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  sessionToken?: string | undefined;
}

/**
 * Settings for the client factory. Credentials are passed only when both the key id and the
 * secret are known; otherwise the SDK's default chain (task role, ~/.aws, SSO, …) applies, as in
 * 0.11. One without the other is a mistake worth stopping for.
 */
export function awsClientSettings(credentials: CredentialValues, region: string | undefined, endpoint: string | undefined): AwsClientSettings {
  const { accessKeyId, secretAccessKey, sessionToken } = credentials;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    const [given, missing] = accessKeyId === undefined
      ? ['awsSecretAccessKey', 'awsAccessKeyId (or AWS_ACCESS_KEY_ID)']
      : ['awsAccessKeyId', 'awsSecretAccessKey (or AWS_SECRET_ACCESS_KEY)'];
    throw new FlowenvError({
      code: 'AWS_CREDENTIALS_INVALID',
      message: `FargateTaskEnvironment has ${given} but no ${missing}: pass both, or neither to use the AWS SDK's default credential chain`,
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
