import { describe, expect, it } from 'vitest';
import { buildAuthTokenSecret, perRunSecretName } from './build-auth-token-secret.js';

describe('buildAuthTokenSecret', () => {
  it('a per-run Secret carries the run labels and the token as stringData', () => {
    const identifier = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
    expect(buildAuthTokenSecret({ name: perRunSecretName(identifier), namespace: 'flows', key: 'auth-token', token: 's3cr3t', run: { identifier, flowRunId: 'run-1' } })).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'flowenv-auth-6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f',
        namespace: 'flows',
        labels: { 'prefect.io/identifier': identifier, 'prefect.io/flow_run_id': 'run-1', 'app.kubernetes.io/managed-by': 'flowenv' },
      },
      type: 'Opaque',
      stringData: { 'auth-token': 's3cr3t' },
    });
  });

  it('a named Secret carries only the managed-by label; without a token (render) it has no data', () => {
    const secret = buildAuthTokenSecret({ name: 'prefect-token', namespace: 'flows', key: 'token' });
    expect(secret.metadata?.labels).toEqual({ 'app.kubernetes.io/managed-by': 'flowenv' });
    expect(secret.stringData).toBeUndefined();
    expect(secret.data).toBeUndefined();
  });
});
