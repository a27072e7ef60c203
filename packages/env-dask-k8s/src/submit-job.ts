import { describeError, FlowenvError, type Logger } from '@flowenv/core';
import type { V1Job, V1Secret } from '@kubernetes/client-node';
import { IDENTIFIER_LABEL } from './flow-container.js';
import type { KubernetesApi } from './kubernetes-api.js';
import { kubernetesErrorFacts, mapKubernetesError } from './map-kubernetes-error.js';
import { retryKubernetes, type RetryOptions } from './retry-kubernetes.js';

/**
 * Creates the run's Job. 429 and 5xx answers and broken connections are retried with bounded
 * back-off; after an answer that leaves open whether the Job was created (a 5xx, a lost
 * connection), the next attempt first looks for a Job carrying this run's identifier, so a retry
 * never starts a second run (this also covers `generateName`, where a 409 cannot tell).
 */
export async function submitJob(api: KubernetesApi, job: V1Job, options: { identifier: string; retry?: RetryOptions | undefined }): Promise<V1Job> {
  const namespace = job.metadata?.namespace ?? 'default';
  let mayExist = false;
  try {
    return await retryKubernetes(async () => {
      if (mayExist) {
        const existing = await findRunJob(api, namespace, options.identifier);
        if (existing !== undefined) return existing;
      }
      try {
        return await api.createJob(namespace, job);
      } catch (error) {
        const { status } = kubernetesErrorFacts(error);
        if (status === undefined || status >= 500) mayExist = true;
        // A 409 after such an answer: the Job of an earlier attempt, if it carries our identifier.
        if (status === 409 && mayExist) {
          const existing = await findRunJob(api, namespace, options.identifier);
          if (existing !== undefined) return existing;
        }
        throw error;
      }
    }, options.retry);
  } catch (error) {
    throw mapKubernetesError(error, {
      verb: 'create',
      resource: 'jobs',
      group: 'batch',
      namespace,
      name: job.metadata?.name ?? job.metadata?.generateName,
      server: api.server,
    });
  }
}

async function findRunJob(api: KubernetesApi, namespace: string, identifier: string): Promise<V1Job | undefined> {
  const list = await api.listJobs(namespace, { labelSelector: `${IDENTIFIER_LABEL}=${identifier}` });
  return list.items[0];
}

/**
 * Creates the Secret holding the API token, or updates the token in it when it exists already
 * (create-then-handle-409, never list-then-create: race-free under concurrent runs).
 */
export async function ensureSecret(api: KubernetesApi, secret: V1Secret, options: { retry?: RetryOptions | undefined } = {}): Promise<void> {
  const namespace = secret.metadata?.namespace ?? 'default';
  const name = secret.metadata?.name ?? '';
  const context = { resource: 'secrets', group: '', namespace, name, server: api.server };
  try {
    await retryKubernetes(() => api.createSecret(namespace, secret), options.retry);
    return;
  } catch (error) {
    if (kubernetesErrorFacts(error).status !== 409) throw mapKubernetesError(error, { ...context, verb: 'create' });
  }
  const data = Object.fromEntries(Object.entries(secret.stringData ?? {}).map(([key, value]) => [key, Buffer.from(value, 'utf8').toString('base64')]));
  try {
    await retryKubernetes(() => api.patchSecret(namespace, name, { metadata: { labels: secret.metadata?.labels ?? {} }, data }), options.retry);
  } catch (error) {
    throw mapKubernetesError(error, { ...context, verb: 'patch' });
  }
}

/**
 * Makes the run's Job the owner of its per-run Secret, so that Kubernetes' garbage collector deletes
 * the Secret with the Job (TTL, cancel, or by hand). Returns false (and logs why) when that failed:
 * the caller must then delete the Secret itself.
 */
export async function adoptSecret(api: KubernetesApi, secret: V1Secret, job: V1Job, logger: Logger): Promise<boolean> {
  const namespace = secret.metadata?.namespace ?? 'default';
  const name = secret.metadata?.name ?? '';
  const owner = { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata?.name ?? '', uid: job.metadata?.uid ?? '' };
  if (owner.uid === '') return false;
  try {
    await retryKubernetes(() => api.patchSecret(namespace, name, { metadata: { ownerReferences: [owner] } }));
    return true;
  } catch (error) {
    logger.warn(`Could not make Job ${owner.name} the owner of Secret ${name}: ${describeError(mapKubernetesError(error, { verb: 'patch', resource: 'secrets', group: '', namespace, name, server: api.server }))}`);
    return false;
  }
}

/** Deletes a Secret, ignoring one that is already gone; failures are logged, not thrown (clean-up path). */
export async function deleteSecretQuietly(api: KubernetesApi, namespace: string, name: string, logger: Logger): Promise<void> {
  try {
    await retryKubernetes(() => api.deleteSecret(namespace, name));
  } catch (error) {
    if (kubernetesErrorFacts(error).status === 404) return;
    const mapped = FlowenvError.isInstance(error) ? error : mapKubernetesError(error, { verb: 'delete', resource: 'secrets', group: '', namespace, name, server: api.server });
    logger.warn(`Could not delete Secret ${name} in namespace ${namespace}: ${mapped.message}`);
  }
}
