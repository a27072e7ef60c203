import { FlowenvError } from '@flowenv/core';
import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { apiError, networkError } from './__fixtures__/fake-kubernetes-api.js';
import { isRetryableKubernetesError, mapKubernetesError, retryAfterSeconds, type KubernetesCallContext } from './map-kubernetes-error.js';

const createJob: KubernetesCallContext = { verb: 'create', resource: 'jobs', group: 'batch', namespace: 'flows', name: 'prefect-job-1a2b3c4d', server: 'https://10.0.0.1:6443' };

/** The SDK's own error, as its typed clients throw it (body: the response text). */
function sdkError(code: number, status: Record<string, unknown>): ApiException<string> {
  return new ApiException(code, 'Unknown API Status Code!', JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, ...status }), { 'content-type': 'application/json' });
}

describe('mapKubernetesError', () => {
  it('409 on a Job names it and suggests uniqueJobName', () => {
    const error = mapKubernetesError(sdkError(409, { reason: 'AlreadyExists', message: 'jobs.batch "prefect-job-1a2b3c4d" already exists' }), createJob);
    expect(error.code).toBe('K8S_CONFLICT');
    expect(error.message).toBe(
      'A Job named "prefect-job-1a2b3c4d" already exists in namespace "flows": set `uniqueJobName: true` (the default) so that every run gets its own name, or use metadata.generateName in the job spec instead of metadata.name',
    );
    expect(error.retryable).toBe(false);
    expect(error.cause).toBeInstanceOf(ApiException);
  });

  it('403 names the missing verb and resource (spec §9.22)', () => {
    const forbidden = apiError(403, {
      reason: 'Forbidden',
      message: 'jobs.batch is forbidden: User "system:serviceaccount:flows:default" cannot create resource "jobs" in API group "batch" in the namespace "flows"',
      details: { group: 'batch', kind: 'jobs' },
    });
    const error = mapKubernetesError(forbidden, createJob);
    expect(error.code).toBe('K8S_FORBIDDEN');
    expect(error.message).toContain('Not allowed to create jobs in namespace "flows"');
    expect(error.message).toContain('Grant the verb "create" on resource "jobs" in API group "batch"');
    expect(error.message).toContain('cannot create resource "jobs"');
    const secrets = mapKubernetesError(apiError(403, { reason: 'Forbidden', message: 'secrets is forbidden' }), { verb: 'create', resource: 'secrets', group: '', namespace: 'flows' });
    expect(secrets.message).toContain('Grant the verb "create" on resource "secrets" in the core API group ("")');
  });

  it('422 quotes the field causes the server gave', () => {
    const invalid = sdkError(422, {
      reason: 'Invalid',
      message: 'Job.batch "x" is invalid: [spec.template.spec.restartPolicy: Required value…]',
      details: {
        name: 'x',
        group: 'batch',
        kind: 'Job',
        causes: [
          { reason: 'FieldValueNotSupported', message: 'Unsupported value: "Always": supported values: "OnFailure", "Never"', field: 'spec.template.spec.restartPolicy' },
          { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.template.spec.containers[0].image' },
        ],
      },
    });
    const error = mapKubernetesError(invalid, createJob);
    expect(error.code).toBe('K8S_INVALID');
    expect(error.message).toBe(
      'Kubernetes rejected the Job "prefect-job-1a2b3c4d" in namespace "flows" as invalid (422 Invalid): spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"; spec.template.spec.containers[0].image: Required value',
    );
  });

  it('400 without causes quotes the message', () => {
    const error = mapKubernetesError(apiError(400, { reason: 'BadRequest', message: 'the namespace of the provided object does not match the namespace sent on the request' }), createJob);
    expect(error.code).toBe('K8S_INVALID');
    expect(error.message).toContain('(400 BadRequest): the namespace of the provided object does not match');
  });

  it('404 of a namespace says to create it or pass another', () => {
    const error = mapKubernetesError(apiError(404, { reason: 'NotFound', message: 'namespaces "flows" not found', details: { name: 'flows', kind: 'namespaces' } }), createJob);
    expect(error.code).toBe('K8S_NOT_FOUND');
    expect(error.message).toBe('Namespace "flows" does not exist: create it, or pass `namespace` (or set PREFECT__CONTEXT__NAMESPACE) to use another one');
  });

  it('401 points at the credentials', () => {
    const error = mapKubernetesError(new ApiException(401, 'Unauthorized', undefined, {}), createJob);
    expect(error.code).toBe('K8S_UNAUTHORIZED');
    expect(error.message).toContain('https://10.0.0.1:6443 rejected the credentials (401 Unauthorized)');
  });

  it('429 and 5xx are retryable; 429 says so', () => {
    const throttled = mapKubernetesError(apiError(429, { reason: 'TooManyRequests', message: 'too many requests' }, { 'Retry-After': '2' }), createJob);
    expect(throttled).toMatchObject({ code: 'K8S_THROTTLED', retryable: true });
    const unavailable = mapKubernetesError(sdkError(503, { reason: 'ServiceUnavailable', message: 'etcdserver: leader changed' }), createJob);
    expect(unavailable).toMatchObject({ code: 'K8S_REQUEST_FAILED', retryable: true });
    expect(unavailable.message).toBe('Cannot create Job "prefect-job-1a2b3c4d" in namespace "flows": HTTP 503 ServiceUnavailable: etcdserver: leader changed');
  });

  it('connection failures are K8S_UNREACHABLE naming the server; TLS failures point at the CA', () => {
    const refused = mapKubernetesError(networkError('ECONNREFUSED'), createJob);
    expect(refused).toMatchObject({ code: 'K8S_UNREACHABLE', retryable: true });
    expect(refused.message).toContain('https://10.0.0.1:6443 is unreachable (ECONNREFUSED');
    // The SDK's fetch wraps the socket error as `cause`.
    expect(mapKubernetesError(Object.assign(new Error('request to https://x failed'), { cause: { code: 'ETIMEDOUT' } }), createJob).code).toBe('K8S_UNREACHABLE');
    const tls = mapKubernetesError(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), createJob);
    expect(tls.code).toBe('K8S_CONFIG_INVALID');
    expect(tls.message).toContain("Check the cluster's certificate-authority in the kubeconfig");
  });

  it("reads the SDK Watch's errors (statusCode) and passes FlowenvErrors through", () => {
    expect(mapKubernetesError(Object.assign(new Error('Forbidden'), { statusCode: 403 }), { ...createJob, verb: 'watch' }).message).toContain('Grant the verb "watch" on resource "jobs"');
    const original = new FlowenvError({ code: 'K8S_CONFLICT', message: 'x' });
    expect(mapKubernetesError(original, createJob)).toBe(original);
  });
});

describe('isRetryableKubernetesError / retryAfterSeconds', () => {
  it('retries 429, 5xx and broken connections only', () => {
    for (const code of [429, 500, 502, 503, 504]) expect(isRetryableKubernetesError(apiError(code))).toBe(true);
    for (const code of [400, 401, 403, 404, 409, 410, 422]) expect(isRetryableKubernetesError(apiError(code))).toBe(false);
    expect(isRetryableKubernetesError(networkError('ECONNRESET'))).toBe(true);
    expect(isRetryableKubernetesError(new Error('socket hang up'))).toBe(true);
    expect(isRetryableKubernetesError(new Error('bug'))).toBe(false);
  });

  it("reads the server's Retry-After", () => {
    expect(retryAfterSeconds(apiError(429, {}, { 'Retry-After': '3' }))).toBe(3);
    expect(retryAfterSeconds(apiError(429))).toBeUndefined();
  });
});
