import { FlowenvError } from '@flowenv/core';
import type { V1Secret } from '@kubernetes/client-node';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './flow-container.js';
import { dockerSecretName } from './image-pull-secrets.js';

/** The registry credentials 0.11 read from the secret named by `docker_secret`. */
export interface DockerRegistryCredentials {
  server: string;
  username: string;
  password: string;
  email: string;
}

/**
 * Parses the secret value (JSON with `docker-server`, `docker-username`, `docker-password`,
 * `docker-email`, as 0.11 expected). `secretName` is only used in messages; the value never is.
 */
export function parseDockerCredentials(value: string | undefined, secretName: string): DockerRegistryCredentials {
  const hint = `set PREFECT__CONTEXT__SECRETS__${secretName} to JSON with "docker-server", "docker-username", "docker-password" and "docker-email"`;
  if (value === undefined || value === '') throw new FlowenvError({ code: 'OPTIONS_INVALID', message: `DaskKubernetesEnvironment: privateRegistry needs the secret ${secretName}: ${hint}` });
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new FlowenvError({ code: 'OPTIONS_INVALID', message: `DaskKubernetesEnvironment: the secret ${secretName} is not JSON: ${hint}` });
  }
  const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const field = (key: string): string => {
    const text = record[key];
    if (typeof text !== 'string') throw new FlowenvError({ code: 'OPTIONS_INVALID', message: `DaskKubernetesEnvironment: the secret ${secretName} has no string "${key}": ${hint}` });
    return text;
  };
  return { server: field('docker-server'), username: field('docker-username'), password: field('docker-password'), email: field('docker-email') };
}

/**
 * The `<namespace>-docker` image pull Secret (kubernetes.io/dockerconfigjson). Keys are the
 * conventional lower-case ones plus `auth` (base64 `user:password`), not 0.11's capitalised
 * `Username`/`Password`/`Email` without `auth` (spec §9.23).
 */
export function buildDockerConfigSecret(namespace: string, credentials: DockerRegistryCredentials): V1Secret {
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  const config = { auths: { [credentials.server]: { username: credentials.username, password: credentials.password, email: credentials.email, auth } } };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: dockerSecretName(namespace), namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify(config)).toString('base64') },
  };
}
