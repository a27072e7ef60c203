import type { KeyValuePair } from '@aws-sdk/client-ecs';

/** PEM text of the cluster's TLS material. */
export interface TlsMaterial {
  /** The CA certificate every side trusts. */
  ca: string;
  /** The certificate scheduler, workers and client present (Dask uses mutual TLS). */
  certificate: string;
  /** Its private key. */
  privateKey: string;
}

/**
 * The Dask configuration variables that give a scheduler or a worker its TLS material. Dask
 * accepts PEM contents where it expects file names (a value with a newline is read as contents),
 * so nothing has to be baked into the image. Workers also get the client role, for tasks that
 * open a Client on the cluster (`get_client()`).
 */
export function daskTlsEnvironment(role: 'scheduler' | 'worker', tls: TlsMaterial): KeyValuePair[] {
  const roles = role === 'scheduler' ? ['SCHEDULER'] : ['WORKER', 'CLIENT'];
  return [
    { name: 'DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION', value: 'True' },
    { name: 'DASK_DISTRIBUTED__COMM__TLS__CA_FILE', value: tls.ca },
    ...roles.flatMap((name) => [
      { name: `DASK_DISTRIBUTED__COMM__TLS__${name}__CERT`, value: tls.certificate },
      { name: `DASK_DISTRIBUTED__COMM__TLS__${name}__KEY`, value: tls.privateKey },
    ]),
  ];
}
