import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { connect, createServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { generateTemporaryCertificates, writeCertificateFiles } from './temporary-certificates.js';

describe('generateTemporaryCertificates', () => {
  const now = new Date('2030-01-02T03:04:05Z');
  const certificates = generateTemporaryCertificates({ now, validityDays: 2 });
  const ca = new X509Certificate(certificates.ca);
  const leaf = new X509Certificate(certificates.certificate);

  it('makes a CA and a certificate it signed, valid from 5 minutes before now for validityDays', () => {
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(new Date(leaf.validFrom).toISOString()).toBe('2030-01-02T02:59:05.000Z');
    expect(new Date(leaf.validTo).toISOString()).toBe('2030-01-04T03:04:05.000Z');
    expect(certificates.notAfter.toISOString()).toBe('2030-01-04T03:04:05.000Z');
    expect(leaf.subject).toBe('CN=flowenv-dask');
    expect(leaf.issuer).toBe(ca.subject);
    expect(leaf.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(leaf.checkPrivateKey(createPrivateKey(certificates.privateKey))).toBe(true);
  });

  it('never returns the CA private key, and makes new keys every time', () => {
    expect(JSON.stringify(certificates)).not.toMatch(/BEGIN EC PRIVATE KEY/);
    expect(certificates.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const again = generateTemporaryCertificates();
    expect(again.ca).not.toBe(certificates.ca);
    expect(again.privateKey).not.toBe(certificates.privateKey);
    expect(new X509Certificate(again.ca).serialNumber).not.toBe(ca.serialNumber);
  });

  it('is small enough to travel in ECS RunTask overrides', () => {
    expect(certificates.ca.length + certificates.certificate.length + certificates.privateKey.length).toBeLessThan(2_000);
  });

  it('gives a working mutual TLS handshake with OpenSSL verification on both sides', async () => {
    const fresh = generateTemporaryCertificates();
    const tls = { ca: fresh.ca, cert: fresh.certificate, key: fresh.privateKey };
    const server = createServer({ ...tls, requestCert: true, rejectUnauthorized: true }, (socket) => {
      socket.end(`hello ${(socket.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN}`);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const socket: TLSSocket = connect({ ...tls, host: '127.0.0.1', port: (server.address() as AddressInfo).port, checkServerIdentity: () => undefined });
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      await once(socket, 'end');
      expect(socket.authorized).toBe(true);
      expect(received).toBe('hello flowenv-dask');
      socket.destroy();
    } finally {
      server.close();
    }
  });

  it('refuses a peer whose certificate another run\'s CA signed', async () => {
    const ours = generateTemporaryCertificates();
    const theirs = generateTemporaryCertificates();
    const server = createServer({ ca: ours.ca, cert: ours.certificate, key: ours.privateKey, requestCert: true, rejectUnauthorized: true }, (socket) => socket.end('no'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const socket = connect({ ca: ours.ca, cert: theirs.certificate, key: theirs.privateKey, host: '127.0.0.1', port: (server.address() as AddressInfo).port, checkServerIdentity: () => undefined });
      const [error] = (await Promise.race([once(socket, 'error'), once(socket, 'end').then(() => [undefined])])) as [Error | undefined];
      expect(error?.message ?? 'closed without data').toMatch(/alert|certificate|closed|reset|socket hang up/i);
      socket.destroy();
    } finally {
      server.close();
    }
  });
});

describe('writeCertificateFiles', () => {
  it('writes the three PEM files into a private directory and removes it', async () => {
    const certificates = generateTemporaryCertificates();
    const files = await writeCertificateFiles(certificates);
    expect(readFileSync(files.caFile, 'utf8')).toBe(certificates.ca);
    expect(readFileSync(files.certFile, 'utf8')).toBe(certificates.certificate);
    expect(readFileSync(files.keyFile, 'utf8')).toBe(certificates.privateKey);
    expect(statSync(files.directory).mode & 0o777).toBe(0o700);
    expect(statSync(files.keyFile).mode & 0o777).toBe(0o600);
    await files.remove();
    await files.remove();
    expect(existsSync(files.directory)).toBe(false);
  });
});
