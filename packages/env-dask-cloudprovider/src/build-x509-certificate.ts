import { createHash, sign, type KeyObject } from 'node:crypto';
import { isIPv4 } from 'node:net';
import {
  bitString,
  booleanTrue,
  explicit,
  implicitPrimitive,
  namedBits,
  objectIdentifier,
  octetString,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der.js';

/** What one certificate says, and who signs it. */
export interface CertificateRequest {
  subjectCommonName: string;
  subjectPublicKey: KeyObject;
  issuerCommonName: string;
  /** The issuer's key pair: the private key signs, the public key names the issuer (authority key id). */
  issuerPrivateKey: KeyObject;
  issuerPublicKey: KeyObject;
  /** Up to 20 bytes; the top bit is handled (the serial stays positive). */
  serialNumber: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** A CA certificate (may sign others) or an end-entity one (TLS server and client). */
  certificateAuthority: boolean;
  /** subjectAltName entries of an end-entity certificate. */
  alternativeNames?: readonly string[];
}

const oids = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extendedKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

const keyUsageBits = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

function name(commonName: string): Buffer {
  return sequence(set(sequence(objectIdentifier(oids.commonName), utf8String(commonName))));
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(objectIdentifier(oid), booleanTrue(), octetString(value)) : sequence(objectIdentifier(oid), octetString(value));
}

/** RFC 7093 method 1: the leftmost 160 bits of the SHA-256 of the public key. */
export function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest().subarray(0, 20);
}

function alternativeName(entry: string): Buffer {
  if (isIPv4(entry)) return implicitPrimitive(7, Buffer.from(entry.split('.').map(Number)));
  return implicitPrimitive(2, Buffer.from(entry, 'ascii'));
}

/**
 * A DER-encoded X.509 v3 certificate, ECDSA/SHA-256 signed, as PEM. node:crypto makes keys and
 * signatures but no certificates; this is the small part that was missing (no `openssl` binary
 * needed where the environment runs). Extensions are those OpenSSL's strict verification wants:
 * basic constraints and key usage (critical), subject and authority key identifiers, and for
 * end-entity certificates extended key usage (server and client: Dask uses mutual TLS) and
 * subject alternative names.
 */
export function buildX509Certificate(request: CertificateRequest): string {
  const extensions = request.certificateAuthority
    ? [
        extension(oids.basicConstraints, true, sequence(booleanTrue())),
        extension(oids.keyUsage, true, namedBits([keyUsageBits.keyCertSign, keyUsageBits.cRLSign])),
        extension(oids.subjectKeyIdentifier, false, octetString(keyIdentifier(request.subjectPublicKey))),
      ]
    : [
        extension(oids.basicConstraints, true, sequence()),
        extension(oids.keyUsage, true, namedBits([keyUsageBits.digitalSignature])),
        extension(oids.extendedKeyUsage, false, sequence(objectIdentifier(oids.serverAuth), objectIdentifier(oids.clientAuth))),
        extension(oids.subjectKeyIdentifier, false, octetString(keyIdentifier(request.subjectPublicKey))),
        ...(request.alternativeNames && request.alternativeNames.length > 0
          ? [extension(oids.subjectAltName, false, sequence(...request.alternativeNames.map(alternativeName)))]
          : []),
      ];
  extensions.push(extension(oids.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, keyIdentifier(request.issuerPublicKey)))));

  const signatureAlgorithm = sequence(objectIdentifier(oids.ecdsaWithSha256));
  const toBeSigned = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(request.serialNumber),
    signatureAlgorithm,
    name(request.issuerCommonName),
    sequence(time(request.notBefore), time(request.notAfter)),
    name(request.subjectCommonName),
    request.subjectPublicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  // For EC keys node:crypto returns the DER ECDSA-Sig-Value X.509 expects.
  const signature = sign('sha256', toBeSigned, request.issuerPrivateKey);
  const certificate = sequence(toBeSigned, signatureAlgorithm, bitString(signature));
  return toPem('CERTIFICATE', certificate);
}

export function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
