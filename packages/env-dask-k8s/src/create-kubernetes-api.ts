import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { FlowenvError } from '@flowenv/core';
import type { CoreV1EventList, V1Job, V1JobList, V1Pod, V1PodList, V1Secret, V1Status } from '@kubernetes/client-node';
import type { KubeConnection } from './in-cluster-connection.js';
import type { KubernetesApi, ListOptions, WatchEvent, WatchOptions } from './kubernetes-api.js';
import { KubernetesRequestError } from './kubernetes-request-error.js';

/** Longest wait for the answer to a plain (non-streaming) request. */
const requestTimeoutMs = 30_000;
/** A watch that sent nothing for this long after its server-side timeout is taken as dead. */
const watchIdleGraceMs = 60_000;

type Query = Record<string, string | number | boolean | undefined>;

interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query | undefined;
  body?: unknown;
  contentType?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Socket inactivity that fails the request (default {@link requestTimeoutMs}). */
  idleTimeoutMs?: number | undefined;
}

/**
 * The {@link KubernetesApi} of a kubeconfig: plain JSON over HTTPS, authenticated by the SDK's
 * KubeConfig (certificates, tokens, exec and auth-provider plugins, proxies, in-cluster tokens).
 * Requests carry the manifests exactly as buildJobManifest made them: the SDK's typed clients would
 * re-serialize them through their models and silently drop any field newer than the SDK.
 */
export function createKubernetesApi(kubeConfig: KubeConnection): KubernetesApi {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) {
    throw new FlowenvError({ code: 'K8S_CONFIG_INVALID', message: 'The kubeconfig has no current cluster: set its current-context (kubectl config use-context …)' });
  }
  const server = cluster.server.replace(/\/+$/, '');
  const contextNamespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace || undefined;

  const open = async (spec: RequestSpec): Promise<IncomingMessage> => {
    const url = new URL(`${server}${spec.path}`);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const options: https.RequestOptions = {
      method: spec.method,
      headers: {
        Accept: 'application/json',
        ...(payload === undefined ? {} : { 'Content-Type': spec.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
      },
    };
    // Adds the Authorization header, TLS material and an agent (proxy-aware) for this cluster.
    await kubeConfig.applyToHTTPSOptions(options);
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const request = transport.request(url, { ...options, ...(spec.signal === undefined ? {} : { signal: spec.signal }) }, resolve);
      request.setTimeout(spec.idleTimeoutMs ?? requestTimeoutMs, () => {
        request.destroy(Object.assign(new Error(`${spec.method} ${url.pathname}: no answer from ${server} within ${Math.round((spec.idleTimeoutMs ?? requestTimeoutMs) / 1000)} s`), { code: 'ETIMEDOUT' }));
      });
      request.on('error', reject);
      request.end(payload);
    });
  };

  const readBody = async (response: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  const failIfNotOk = async (response: IncomingMessage, spec: RequestSpec): Promise<void> => {
    const code = response.statusCode ?? 0;
    if (code >= 200 && code < 300) return;
    const body = await readBody(response).catch(() => '');
    throw new KubernetesRequestError({ code, body, headers: flatHeaders(response.headers), method: spec.method, path: spec.path });
  };

  const json = async <T>(spec: RequestSpec): Promise<T> => {
    const response = await open(spec);
    await failIfNotOk(response, spec);
    const text = await readBody(response);
    return (text === '' ? {} : JSON.parse(text)) as T;
  };

  async function* lines(spec: RequestSpec): AsyncGenerator<string> {
    const response = await open(spec);
    await failIfNotOk(response, spec);
    const reader = createInterface({ input: response, crlfDelay: Infinity });
    try {
      for await (const line of reader) yield line;
    } catch (error) {
      if (spec.signal?.aborted) return;
      throw error;
    } finally {
      reader.close();
      response.destroy();
    }
  }

  async function* watch<T>(path: string, options: WatchOptions, signal: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    const query: Query = { watch: 'true', ...selectors(options), resourceVersion: options.resourceVersion, timeoutSeconds: options.timeoutSeconds, allowWatchBookmarks: options.allowWatchBookmarks };
    const idleTimeoutMs = (options.timeoutSeconds ?? 1800) * 1000 + watchIdleGraceMs;
    for await (const line of lines({ method: 'GET', path, query, signal, idleTimeoutMs })) {
      if (line.trim() === '') continue;
      let event: WatchEvent<T>;
      try {
        event = JSON.parse(line) as WatchEvent<T>;
      } catch {
        continue;
      }
      yield event;
    }
  }

  const jobs = (namespace: string): string => `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs`;
  const pods = (namespace: string): string => `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
  const secrets = (namespace: string): string => `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
  const named = (collection: string, name: string): string => `${collection}/${encodeURIComponent(name)}`;

  return {
    server,
    contextNamespace,
    createJob: (namespace, job) => json<V1Job>({ method: 'POST', path: jobs(namespace), body: job }),
    readJob: (namespace, name) => json<V1Job>({ method: 'GET', path: named(jobs(namespace), name) }),
    listJobs: (namespace, options) => json<V1JobList>({ method: 'GET', path: jobs(namespace), query: selectors(options) }),
    watchJobs: (namespace, options, signal) => watch<V1Job>(jobs(namespace), options, signal),
    deleteJob: async (namespace, name, propagationPolicy) => {
      await json<V1Status>({ method: 'DELETE', path: named(jobs(namespace), name), body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy } });
    },
    listPods: (namespace, options) => json<V1PodList>({ method: 'GET', path: pods(namespace), query: selectors(options) }),
    createPod: (namespace, pod) => json<V1Pod>({ method: 'POST', path: pods(namespace), body: pod }),
    deletePod: async (namespace, name, gracePeriodSeconds) => {
      await json<V1Status>({
        method: 'DELETE',
        path: named(pods(namespace), name),
        body: { kind: 'DeleteOptions', apiVersion: 'v1', ...(gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds }) },
      });
    },
    watchPods: (namespace, options, signal) => watch<V1Pod>(pods(namespace), options, signal),
    readPodLog: async (namespace, pod, container, options) => {
      const response = await open({ method: 'GET', path: `${named(pods(namespace), pod)}/log`, query: { container, tailLines: options.tailLines } });
      await failIfNotOk(response, { method: 'GET', path: `${named(pods(namespace), pod)}/log` });
      return readBody(response);
    },
    followPodLog: (namespace, pod, container, signal) =>
      // A followed log has no idle limit: a quiet flow may print nothing for hours.
      lines({ method: 'GET', path: `${named(pods(namespace), pod)}/log`, query: { container, follow: 'true' }, signal, idleTimeoutMs: 0 }),
    listEvents: (namespace, options) => json<CoreV1EventList>({ method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, query: selectors(options) }),
    createSecret: (namespace, secret) => json<V1Secret>({ method: 'POST', path: secrets(namespace), body: secret }),
    patchSecret: (namespace, name, patch) =>
      json<V1Secret>({ method: 'PATCH', path: named(secrets(namespace), name), body: patch, contentType: 'application/merge-patch+json' }),
    deleteSecret: async (namespace, name) => {
      await json<V1Status>({ method: 'DELETE', path: named(secrets(namespace), name) });
    },
  };
}

function selectors(options: ListOptions): Query {
  return { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
