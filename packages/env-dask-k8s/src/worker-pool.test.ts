import { createLogger } from '@flowenv/core';
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { apiError, FakeKubernetesApi } from './__fixtures__/fake-kubernetes-api.js';
import { WorkerPool } from './worker-pool.js';

const identifier = 'run-1';
const pool = (api: FakeKubernetesApi): WorkerPool =>
  new WorkerPool({
    api,
    namespace: 'flows',
    identifier,
    buildPod: (): V1Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'worker-', labels: { 'prefect.io/identifier': identifier } }, spec: { containers: [{ name: 'w' }] } }),
    logger: createLogger('test'),
  });

describe('WorkerPool', () => {
  it('creates and deletes pods to reach the count, and deletes all on close', async () => {
    const api = new FakeKubernetesApi();
    const workers = pool(api);
    await workers.scaleTo(3);
    expect(api.pods.size).toBe(3);
    await workers.scaleTo(1);
    expect(api.pods.size).toBe(1);
    expect(workers.peak).toBe(3);
    await workers.close();
    expect(api.pods.size).toBe(0);
    await workers.scaleTo(2);
    expect(api.pods.size).toBe(0);
  });

  it('replaces a pod that ended on its own, and deletes it', async () => {
    const api = new FakeKubernetesApi();
    const workers = pool(api);
    await workers.scaleTo(1);
    const [name, pod] = [...api.pods.entries()][0] as [string, V1Pod];
    api.pods.set(name, { ...pod, status: { phase: 'Failed' } });
    await workers.scaleTo(1);
    expect(api.pods.has(name)).toBe(false);
    expect(api.pods.size).toBe(1);
    expect(workers.size).toBe(1);
    await workers.close();
  });

  it('close never throws: a pod already gone (404) or an API error is logged', async () => {
    const api = new FakeKubernetesApi();
    const workers = pool(api);
    await workers.scaleTo(2);
    api.fail('deletePod', apiError(500, { message: 'boom' }));
    await expect(workers.close()).resolves.toBeUndefined();
  });

  it('a refused create is a typed error naming the resource', async () => {
    const api = new FakeKubernetesApi().fail('createPod', apiError(403, { reason: 'Forbidden', message: 'no' }));
    await expect(pool(api).scaleTo(1)).rejects.toMatchObject({ message: expect.stringContaining('pods') });
  });
});
