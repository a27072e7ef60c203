import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildX509Certificate } from './build-x509-certificate.js';
import type { TlsMaterial } from './dask-tls-environment.js';

/**
 * A run's TLS material, PEM text: one certificate for scheduler, workers and client, its PKCS#8
 * key, and the CA that signed it (whose private key is discarded once it signed).
 */
export interface TemporaryCertificates extends TlsMaterial {
  /** When the certificates expire. */
  notAfter: Date;
}

export interface TemporaryCertificateOptions {
  /** How long the certificates are valid (default 7 days); a run that lasts longer cannot open new connections after that. */
  validityDays?: number;
  /** Common name of the end-entity certificate (default `flowenv-dask`). */
  commonName?: string;
  /** For tests. */
  now?: Date;
}

/** The three files the DaskExecutor (and LocalDaskCluster) read, and a way to delete them. */
export interface CertificateFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The private directory holding them. */
  directory: string;
  /** Deletes the directory; idempotent. */
  remove(): Promise<void>;
}

const clockSkewMs = 5 * 60_000;

/**
 * A fresh CA and one certificate it signed, for one Dask cluster (dask-cloudprovider does the same
 * for its VM clusters; its ECS clusters had no TLS unless certificates were baked into the image).
 * ECDSA P-256 keys: small, and quick to make. Made with
 * node:crypto only (no `openssl` binary needed). Hostnames are not checked by Dask, which expects
 * a dedicated CA per cluster; the CA key never leaves this function, so nobody can mint more.
 */
export function generateTemporaryCertificates(options: TemporaryCertificateOptions = {}): TemporaryCertificates {
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - clockSkewMs);
  const notAfter = new Date(now.getTime() + (options.validityDays ?? 7) * 86_400_000);
  const authority = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const node = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const caName = `flowenv-dask-ca-${randomBytes(4).toString('hex')}`;
  const serial = (): Buffer => {
    const bytes = randomBytes(16);
    bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01; // positive, never zero
    return bytes;
  };
  const ca = buildX509Certificate({
    subjectCommonName: caName,
    subjectPublicKey: authority.publicKey,
    issuerCommonName: caName,
    issuerPrivateKey: authority.privateKey,
    issuerPublicKey: authority.publicKey,
    serialNumber: serial(),
    notBefore,
    notAfter,
    certificateAuthority: true,
  });
  const certificate = buildX509Certificate({
    subjectCommonName: options.commonName ?? 'flowenv-dask',
    subjectPublicKey: node.publicKey,
    issuerCommonName: caName,
    issuerPrivateKey: authority.privateKey,
    issuerPublicKey: authority.publicKey,
    serialNumber: serial(),
    notBefore,
    notAfter,
    certificateAuthority: false,
    alternativeNames: ['localhost', '127.0.0.1'],
  });
  const privateKey = node.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { ca, certificate, privateKey, notAfter };
}

/** Writes the certificates into a new private directory (mode 0700, files 0600) under the system temp directory. */
export async function writeCertificateFiles(certificates: TlsMaterial, parent: string = tmpdir()): Promise<CertificateFiles> {
  const directory = await mkdtemp(join(parent, 'flowenv-dask-tls-'));
  const file = (name: string): string => join(directory, name);
  await Promise.all([
    writeFile(file('ca.pem'), certificates.ca, { mode: 0o600 }),
    writeFile(file('cert.pem'), certificates.certificate, { mode: 0o600 }),
    writeFile(file('key.pem'), certificates.privateKey, { mode: 0o600 }),
  ]);
  return {
    caFile: file('ca.pem'),
    certFile: file('cert.pem'),
    keyFile: file('key.pem'),
    directory,
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}
