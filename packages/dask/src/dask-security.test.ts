import { describe, expect, it } from 'vitest';
import { securityAddressProblem } from './dask-security.js';

const security = { caFile: 'ca.pem', certFile: 'node.pem', keyFile: 'node.key' };

describe('securityAddressProblem', () => {
  it('accepts no TLS settings with any address, and TLS settings with tls://', () => {
    expect(securityAddressProblem('tcp://host:8786', undefined)).toBeUndefined();
    expect(securityAddressProblem('tls://host:8786', security)).toBeUndefined();
    expect(securityAddressProblem('TLS://host:8786', security)).toBeUndefined();
  });

  it('explains how to fix TLS settings with another scheme', () => {
    expect(securityAddressProblem('tcp://host:8786', security)).toBe(
      '`security` (TLS) is set but the address tcp://host:8786 is tcp://, not tls://: use tls://host:8786 for a TLS cluster, or drop `security`',
    );
    expect(securityAddressProblem('host:8786', security)).toContain('is tcp://, not tls://: use tls://host:8786');
    expect(securityAddressProblem('ws://host:8786', security)).toContain('is ws://');
  });
});
