import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type https from 'node:https';
import { describe, expect, it } from 'vitest';
import { inClusterConnection } from './in-cluster-connection.js';

describe('inClusterConnection', () => {
  it('reads the server, CA, namespace and (on every request) the token of the pod\'s service account', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'flowenv-sa-'));
    writeFileSync(join(directory, 'ca.crt'), 'CA');
    writeFileSync(join(directory, 'namespace'), 'flows\n');
    writeFileSync(join(directory, 'token'), 'one\n');
    const connection = inClusterConnection(directory, { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '6443' });
    expect(connection.getCurrentCluster()?.server).toBe('https://10.0.0.1:6443');
    expect(connection.getContextObject(connection.getCurrentContext())?.namespace).toBe('flows');
    const options: https.RequestOptions = { headers: { Accept: 'application/json' } };
    await connection.applyToHTTPSOptions(options);
    expect(options).toMatchObject({ ca: 'CA', headers: { Accept: 'application/json', Authorization: 'Bearer one' } });
    writeFileSync(join(directory, 'token'), 'two');
    await connection.applyToHTTPSOptions(options);
    expect(options.headers).toMatchObject({ Authorization: 'Bearer two' });
  });

  it('outside a pod it says what to do', () => {
    expect(() => inClusterConnection('/nowhere', {})).toThrow('KUBERNETES_SERVICE_HOST');
  });
});
