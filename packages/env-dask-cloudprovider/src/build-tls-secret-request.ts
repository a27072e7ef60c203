import type { CreateSecretCommandInput } from '@aws-sdk/client-secrets-manager';
import { FlowenvError } from '@flowenv/core';
import type { ClusterIdentity } from './cluster-identity.js';
import { TLS_SECRET_KEYS, type TlsMaterial } from './dask-tls-environment.js';
import type { EcsClusterSettings } from './ecs-cluster-options.js';
import { capitalizedTags, resourceTags } from './resource-tags.js';

/** Where the TLS secrets of runs live (IAM can scope them as `secret:flowenv/dask/*`). */
export const SECRET_PREFIX = 'flowenv/dask/';

/** Secrets Manager holds at most 65536 bytes per secret string. */
export const MAX_SECRET_BYTES = 65_536;

/**
 * The name of a run's TLS secret: `flowenv/dask/<run id>/<cluster name>`. The run id is reduced
 * to the characters a secret name allows; the cluster name (random per cluster) keeps a retried
 * run from colliding with a secret an earlier attempt is still deleting, and ends the name with
 * eight characters after the hyphen (a name ending in a hyphen and six characters would look like
 * a partial ARN to Secrets Manager).
 */
export function tlsSecretName(identity: ClusterIdentity): string {
  const run = identity.runId.replace(/[^A-Za-z0-9_+=.@-]/g, '_').slice(0, 256) || '_';
  return `${SECRET_PREFIX}${run}/${identity.name}`;
}

/**
 * CreateSecret for the run's TLS material, one JSON secret (`ca`, `certificate`, `privateKey`)
 * that the task definitions reference by key. Encrypted with the account's default key
 * (aws/secretsmanager), so the execution role needs no KMS permission to read it.
 */
export function buildCreateTlsSecretRequest(identity: ClusterIdentity, settings: EcsClusterSettings, tls: TlsMaterial): CreateSecretCommandInput & { Name: string } {
  const secretString = JSON.stringify({
    [TLS_SECRET_KEYS.ca]: tls.ca,
    [TLS_SECRET_KEYS.certificate]: tls.certificate,
    [TLS_SECRET_KEYS.privateKey]: tls.privateKey,
  });
  const bytes = Buffer.byteLength(secretString, 'utf8');
  if (bytes > MAX_SECRET_BYTES) {
    throw new FlowenvError({
      code: 'OPTIONS_INVALID',
      message: `The TLS material (CA, certificate and key) is ${bytes} bytes; a Secrets Manager secret holds ${MAX_SECRET_BYTES}. ` +
        'Use smaller files in `security` (one certificate, no long chain), or leave `security` out to get small temporary ones',
    });
  }
  return {
    Name: tlsSecretName(identity),
    Description: `TLS CA, certificate and private key of Dask cluster ${identity.name} (flowenv run ${identity.runId}); deleted with the cluster`,
    SecretString: secretString,
    Tags: capitalizedTags(resourceTags(settings.tags, identity.runId)),
  };
}
