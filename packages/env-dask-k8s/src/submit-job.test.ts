import { createLogger, FlowenvError, type LogRecord, setLogSink } from '@flowenv/core';
import type { V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { apiError, FakeKubernetesApi, networkError } from './__fixtures__/fake-kubernetes-api.js';
import { buildAuthTokenSecret } from './build-auth-token-secret.js';
import { adoptSecret, ensureSecret, submitJob } from './submit-job.js';

const identifier = '0a1b2c3d-0000-4000-8000-000000000000';
const job = (metadata: V1Job['metadata']): V1Job => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { namespace: 'flows', labels: { 'prefect.io/identifier': identifier }, ...metadata },
  spec: { template: { spec: { containers: [{ name: 'flow', image: 'x' }] } } },
});
const noWait = { sleep: async () => {} };

async function rejectionOf(promise: Promise<unknown>): Promise<FlowenvError> {
  try {
    await promise;
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('submitJob', () => {
  it('creates the Job and returns what the server stored', async () => {
    const api = new FakeKubernetesApi();
    const created = await submitJob(api, job({ name: 'prefect-job-0a1b2c3d' }), { identifier });
    expect(created.metadata).toMatchObject({ name: 'prefect-job-0a1b2c3d', namespace: 'flows', uid: expect.any(String) });
    expect(api.callsOf('createJob')).toHaveLength(1);
  });

  it('retries 429 and 503 and then succeeds', async () => {
    const api = new FakeKubernetesApi().fail('createJob', apiError(429), apiError(503));
    await submitJob(api, job({ name: 'j' }), { identifier, retry: noWait });
    expect(api.callsOf('createJob')).toHaveLength(3);
    expect(api.jobs.size).toBe(1);
  });

  it('after an answer that leaves it open, finds the Job an earlier attempt created instead of starting a second run', async () => {
    const api = new FakeKubernetesApi();
    // The first attempt reaches the server, which creates the Job, but the answer is lost.
    const original = api.createJob.bind(api);
    let first = true;
    api.createJob = async (namespace, body) => {
      const created = await original(namespace, body);
      if (first) {
        first = false;
        throw networkError('ECONNRESET');
      }
      return created;
    };
    const created = await submitJob(api, job({ generateName: 'nightly-' }), { identifier, retry: noWait });
    expect(api.jobs.size).toBe(1);
    expect(created.metadata?.generateName).toBe('nightly-');
    expect(api.callsOf('listJobs')[0]?.options).toEqual({ labelSelector: `prefect.io/identifier=${identifier}` });
  });

  it('maps a name conflict to K8S_CONFLICT suggesting uniqueJobName', async () => {
    const api = new FakeKubernetesApi();
    await api.createJob('flows', job({ name: 'taken' }));
    const error = await rejectionOf(submitJob(api, job({ name: 'taken', labels: { 'prefect.io/identifier': 'another-run' } }), { identifier: 'another-run', retry: noWait }));
    expect(error.code).toBe('K8S_CONFLICT');
    expect(error.message).toContain('A Job named "taken" already exists in namespace "flows": set `uniqueJobName: true`');
  });

  it('gives up on a server that keeps failing, retryable', async () => {
    const api = new FakeKubernetesApi().fail('createJob', apiError(503), apiError(503), apiError(503));
    const error = await rejectionOf(submitJob(api, job({ name: 'j' }), { identifier, retry: { attempts: 3, sleep: async () => {} } }));
    expect(error).toMatchObject({ code: 'K8S_REQUEST_FAILED', retryable: true });
  });
});

describe('ensureSecret / adoptSecret', () => {
  const secret = buildAuthTokenSecret({ name: 'prefect-token', namespace: 'flows', key: 'auth-token', token: 'new-token' });

  it('creates the Secret, or updates its token when it exists (create, then handle 409)', async () => {
    const api = new FakeKubernetesApi();
    await ensureSecret(api, secret);
    expect(api.secrets.get('flows/prefect-token')?.stringData).toEqual({ 'auth-token': 'new-token' });
    await ensureSecret(api, { ...secret, stringData: { 'auth-token': 'rotated' } });
    expect(api.callsOf('patchSecret')[0]?.body).toEqual({
      metadata: { labels: { 'app.kubernetes.io/managed-by': 'flowenv' } },
      data: { 'auth-token': Buffer.from('rotated').toString('base64') },
    });
    expect(api.callsOf('listJobs')).toHaveLength(0);
  });

  it('names the missing permission on secrets', async () => {
    const api = new FakeKubernetesApi().fail('createSecret', apiError(403, { reason: 'Forbidden', message: 'secrets is forbidden' }));
    const error = await rejectionOf(ensureSecret(api, secret));
    expect(error.message).toContain('Grant the verb "create" on resource "secrets"');
  });

  it("makes the Job the Secret's owner; reports (not throws) when it cannot", async () => {
    const api = new FakeKubernetesApi();
    await ensureSecret(api, secret);
    const created = await api.createJob('flows', job({ name: 'j' }));
    expect(await adoptSecret(api, secret, created, createLogger('test'))).toBe(true);
    expect(api.secrets.get('flows/prefect-token')?.metadata?.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: created.metadata?.uid }]);

    const records: LogRecord[] = [];
    const restore = setLogSink((record) => records.push(record));
    try {
      api.fail('patchSecret', apiError(403, { message: 'nope' }));
      expect(await adoptSecret(api, secret, created, createLogger('test'))).toBe(false);
    } finally {
      restore();
    }
    expect(records[0]?.message).toContain('Could not make Job j the owner of Secret prefect-token');
  });
});
