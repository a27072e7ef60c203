import { FlowenvError } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { buildDockerConfigSecret, parseDockerCredentials } from './build-docker-config-secret.js';

describe('buildDockerConfigSecret', () => {
  it('builds <namespace>-docker with lower-case keys and auth (spec §9.23)', () => {
    const secret = buildDockerConfigSecret('foo', { server: 'r.test', username: 'u', password: 'p', email: 'e@test' });
    expect(secret.metadata).toEqual({ name: 'foo-docker', namespace: 'foo', labels: { 'app.kubernetes.io/managed-by': 'flowenv' } });
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    const decoded = JSON.parse(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8')) as unknown;
    expect(decoded).toEqual({ auths: { 'r.test': { username: 'u', password: 'p', email: 'e@test', auth: 'dTpw' } } });
  });

  it('parses the 0.11 secret shape and names the secret, never its value, in errors', () => {
    expect(parseDockerCredentials(JSON.stringify({ 'docker-server': 's', 'docker-username': 'u', 'docker-password': 'p', 'docker-email': 'e' }), 'X')).toEqual({ server: 's', username: 'u', password: 'p', email: 'e' });
    for (const value of [undefined, 'not json {', JSON.stringify({ 'docker-server': 's', 'docker-password': 'hunter2' })]) {
      let caught: unknown;
      try {
        parseDockerCredentials(value, 'X');
      } catch (error) {
        caught = error;
      }
      expect(FlowenvError.isInstance(caught)).toBe(true);
      expect((caught as Error).message).toContain('PREFECT__CONTEXT__SECRETS__X');
      expect((caught as Error).message).not.toContain('hunter2');
    }
  });
});
