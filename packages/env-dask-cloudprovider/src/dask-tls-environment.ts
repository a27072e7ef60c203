import type { KeyValuePair, Secret } from '@aws-sdk/client-ecs';

/** PEM text of the cluster's TLS material. */
export interface TlsMaterial {
  /** The CA certificate every side trusts. */
  ca: string;
  /** The certificate scheduler, workers and client present (Dask uses mutual TLS). */
  certificate: string;
  /** Its private key. */
  privateKey: string;
}

/** The JSON keys of the run's TLS secret: the secret string is `{ "ca": …, "certificate": …, "privateKey": … }`. */
export const TLS_SECRET_KEYS = { ca: 'ca', certificate: 'certificate', privateKey: 'privateKey' } as const satisfies Record<keyof TlsMaterial, string>;

/** The Dask variables that are no secret: encryption is required on every connection. */
export function daskTlsEnvironment(): KeyValuePair[] {
  return [{ name: 'DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION', value: 'True' }];
}

/**
 * The Dask configuration variables that give a scheduler or a worker its TLS material, as ECS
 * `secrets`: ECS reads each one from a JSON key of the run's secret (`<secret ARN>:<key>::`) when
 * the container starts, so the PEM text never appears in a task definition, a RunTask request or
 * DescribeTasks. Dask accepts PEM contents where it expects file names (a value with a newline is
 * read as contents), so nothing has to be baked into the image. Workers also get the client role,
 * for tasks that open a Client on the cluster (`get_client()`).
 */
export function daskTlsSecrets(role: 'scheduler' | 'worker', secretArn: string): Secret[] {
  const from = (key: string): string => `${secretArn}:${key}::`;
  const roles = role === 'scheduler' ? ['SCHEDULER'] : ['WORKER', 'CLIENT'];
  return [
    { name: 'DASK_DISTRIBUTED__COMM__TLS__CA_FILE', valueFrom: from(TLS_SECRET_KEYS.ca) },
    ...roles.flatMap((name) => [
      { name: `DASK_DISTRIBUTED__COMM__TLS__${name}__CERT`, valueFrom: from(TLS_SECRET_KEYS.certificate) },
      { name: `DASK_DISTRIBUTED__COMM__TLS__${name}__KEY`, valueFrom: from(TLS_SECRET_KEYS.privateKey) },
    ]),
  ];
}
