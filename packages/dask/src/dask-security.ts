import { z } from 'zod';

/**
 * TLS settings for talking to a Dask cluster: the same files `distributed.security.Security`
 * takes (`tls_ca_file`, `tls_client_cert`, `tls_client_key`, `require_encryption`).
 */
export interface DaskSecurity {
  /** PEM file of the CA that signed the scheduler's and workers' certificates. */
  caFile: string;
  /** PEM certificate this side presents (Dask uses mutual TLS). */
  certFile: string;
  /** PEM private key of `certFile`. */
  keyFile: string;
  /** Refuse unencrypted connections (default true). */
  requireEncryption?: boolean;
}

export const daskSecuritySchema = z
  .object({
    caFile: z.string().min(1),
    certFile: z.string().min(1),
    keyFile: z.string().min(1),
    requireEncryption: z.boolean().default(true),
  })
  .strict();

/**
 * Why an address and TLS settings do not go together, if they do not: TLS material with a
 * plain-TCP address would connect without encryption (or not at all), so it is refused.
 */
export function securityAddressProblem(address: string, security: DaskSecurity | undefined): string | undefined {
  if (security === undefined) return undefined;
  if (/^tls:\/\//i.test(address)) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(address)?.[1] ?? 'tcp';
  return `\`security\` (TLS) is set but the address ${address} is ${scheme}://, not tls://: use tls://${address.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')} for a TLS cluster, or drop \`security\``;
}
