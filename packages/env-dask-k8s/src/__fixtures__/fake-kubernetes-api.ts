// An in-memory stand-in for the Kubernetes API: objects by namespace and name, scripted failures
// per call, scripted watch sessions (events, breaks and ends), and a record of every call.
import type { CoreV1Event, CoreV1EventList, V1Job, V1JobList, V1Pod, V1PodList, V1Secret, V1Status } from '@kubernetes/client-node';
import type { KubernetesApi, ListOptions, WatchEvent, WatchOptions } from '../kubernetes-api.js';
import { KubernetesRequestError } from '../kubernetes-request-error.js';

/** An API server answer outside 2xx, as the real client throws it. */
export function apiError(code: number, status: Partial<V1Status> = {}, headers: Record<string, string> = {}): KubernetesRequestError {
  return new KubernetesRequestError({
    code,
    body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, ...status }),
    headers,
    method: 'TEST',
    path: '/fake',
  });
}

/** A broken connection, as Node reports it. */
export function networkError(code = 'ECONNRESET'): Error {
  return Object.assign(new Error(`read ${code}`), { code });
}

/** One scripted watch connection: events, then `end` (server closed) or an error (connection broke). */
export type WatchSession<T> = (WatchEvent<T> | Error | { wait: number })[];

type Method = keyof Omit<KubernetesApi, 'server' | 'contextNamespace'>;

export interface RecordedCall {
  method: Method;
  namespace: string;
  name?: string | undefined;
  body?: unknown;
  options?: unknown;
}

export class FakeKubernetesApi implements KubernetesApi {
  readonly server = 'https://fake-apiserver.test:6443';
  contextNamespace: string | undefined;
  readonly calls: RecordedCall[] = [];
  readonly jobs = new Map<string, V1Job>();
  readonly secrets = new Map<string, V1Secret>();
  readonly pods = new Map<string, V1Pod>();
  /** Log text per pod name. */
  readonly podLogs = new Map<string, string>();
  readonly jobWatchSessions: WatchSession<V1Job>[] = [];
  readonly podWatchSessions: WatchSession<V1Pod>[] = [];
  readonly events: CoreV1Event[] = [];
  /** Jobs deleted with Foreground propagation are kept this many readJob calls, as GC takes a moment. */
  foregroundDeletionReads = 0;
  private readonly failures = new Map<Method, unknown[]>();
  private version = 100;
  private uidCounter = 0;

  constructor(contextNamespace?: string) {
    this.contextNamespace = contextNamespace;
  }

  /** The next calls of `method` throw these errors, in order. */
  fail(method: Method, ...errors: unknown[]): this {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...errors]);
    return this;
  }

  callsOf(method: Method): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  async createJob(namespace: string, job: V1Job): Promise<V1Job> {
    this.record({ method: 'createJob', namespace, name: job.metadata?.name, body: job });
    const name = job.metadata?.name ?? `${job.metadata?.generateName ?? 'job-'}${(++this.uidCounter).toString(36).padStart(5, 'x')}`;
    if (this.jobs.has(`${namespace}/${name}`)) throw apiError(409, { reason: 'AlreadyExists', message: `jobs.batch "${name}" already exists`, details: { name, group: 'batch', kind: 'jobs' } });
    const stored: V1Job = structuredClone({
      ...job,
      metadata: { ...job.metadata, name, namespace, uid: `uid-${++this.uidCounter}`, resourceVersion: String(++this.version) },
    });
    this.jobs.set(`${namespace}/${name}`, stored);
    return structuredClone(stored);
  }

  async readJob(namespace: string, name: string): Promise<V1Job> {
    this.record({ method: 'readJob', namespace, name });
    const job = this.jobs.get(`${namespace}/${name}`);
    if (job === undefined) throw apiError(404, { reason: 'NotFound', message: `jobs.batch "${name}" not found` });
    if (job.metadata?.deletionTimestamp !== undefined) {
      if (this.foregroundDeletionReads-- <= 0) {
        this.jobs.delete(`${namespace}/${name}`);
        this.deletePodsOf(job);
        throw apiError(404, { reason: 'NotFound', message: `jobs.batch "${name}" not found` });
      }
    }
    return structuredClone(job);
  }

  async listJobs(namespace: string, options: ListOptions): Promise<V1JobList> {
    this.record({ method: 'listJobs', namespace, options });
    const items = [...this.jobs.values()].filter((job) => job.metadata?.namespace === namespace && matches(job, options));
    return { apiVersion: 'batch/v1', kind: 'JobList', metadata: { resourceVersion: String(this.version) }, items: structuredClone(items) };
  }

  watchJobs(namespace: string, options: WatchOptions, signal: AbortSignal): AsyncIterable<WatchEvent<V1Job>> {
    this.record({ method: 'watchJobs', namespace, options });
    return this.replay('watchJobs', this.jobWatchSessions.shift(), signal);
  }

  async deleteJob(namespace: string, name: string, propagationPolicy: 'Foreground' | 'Background'): Promise<void> {
    this.record({ method: 'deleteJob', namespace, name, options: { propagationPolicy } });
    const job = this.jobs.get(`${namespace}/${name}`);
    if (job === undefined) throw apiError(404, { reason: 'NotFound', message: `jobs.batch "${name}" not found` });
    if (propagationPolicy === 'Foreground' && this.foregroundDeletionReads > 0) {
      job.metadata = { ...job.metadata, deletionTimestamp: new Date() };
      return;
    }
    this.jobs.delete(`${namespace}/${name}`);
    this.deletePodsOf(job);
  }

  async listPods(namespace: string, options: ListOptions): Promise<V1PodList> {
    this.record({ method: 'listPods', namespace, options });
    const items = [...this.pods.values()].filter((pod) => (pod.metadata?.namespace ?? namespace) === namespace && matches(pod, options));
    return { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: String(this.version) }, items: structuredClone(items) };
  }

  async createPod(namespace: string, pod: V1Pod): Promise<V1Pod> {
    this.record({ method: 'createPod', namespace, name: pod.metadata?.name, body: pod });
    const name = pod.metadata?.name ?? `${pod.metadata?.generateName ?? 'pod-'}${(++this.uidCounter).toString(36).padStart(5, 'x')}`;
    if (this.pods.has(name)) throw apiError(409, { reason: 'AlreadyExists', message: `pods "${name}" already exists` });
    const stored: V1Pod = structuredClone({ ...pod, metadata: { ...pod.metadata, name, namespace, uid: `uid-${++this.uidCounter}` } });
    this.pods.set(name, stored);
    return structuredClone(stored);
  }

  async deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<void> {
    this.record({ method: 'deletePod', namespace, name, options: { gracePeriodSeconds } });
    if (!this.pods.delete(name)) throw apiError(404, { reason: 'NotFound', message: `pods "${name}" not found` });
  }

  watchPods(namespace: string, options: WatchOptions, signal: AbortSignal): AsyncIterable<WatchEvent<V1Pod>> {
    this.record({ method: 'watchPods', namespace, options });
    return this.replay('watchPods', this.podWatchSessions.shift(), signal);
  }

  async readPodLog(namespace: string, pod: string, container: string, options: { tailLines?: number }): Promise<string> {
    this.record({ method: 'readPodLog', namespace, name: pod, options: { container, ...options } });
    const text = this.podLogs.get(pod);
    if (text === undefined) throw apiError(404, { reason: 'NotFound', message: `pods "${pod}" not found` });
    if (options.tailLines === undefined) return text;
    const lines = text.split('\n').filter((line, index, all) => index < all.length - 1 || line !== '');
    return `${lines.slice(-options.tailLines).join('\n')}\n`;
  }

  followPodLog(namespace: string, pod: string, container: string, _signal: AbortSignal): AsyncIterable<string> {
    this.record({ method: 'followPodLog', namespace, name: pod, options: { container } });
    const text = this.podLogs.get(pod) ?? '';
    return (async function* () {
      for (const line of text.split('\n').filter((line, index, all) => index < all.length - 1 || line !== '')) yield line;
    })();
  }

  async listEvents(namespace: string, options: ListOptions): Promise<CoreV1EventList> {
    this.record({ method: 'listEvents', namespace, options });
    const uid = options.fieldSelector?.replace('involvedObject.uid=', '');
    return { apiVersion: 'v1', kind: 'EventList', metadata: {}, items: structuredClone(this.events.filter((event) => event.involvedObject.uid === uid)) };
  }

  async createSecret(namespace: string, secret: V1Secret): Promise<V1Secret> {
    this.record({ method: 'createSecret', namespace, name: secret.metadata?.name, body: secret });
    const key = `${namespace}/${secret.metadata?.name}`;
    if (this.secrets.has(key)) throw apiError(409, { reason: 'AlreadyExists', message: `secrets "${secret.metadata?.name}" already exists` });
    this.secrets.set(key, structuredClone(secret));
    return structuredClone(secret);
  }

  async patchSecret(namespace: string, name: string, patch: Record<string, unknown>): Promise<V1Secret> {
    this.record({ method: 'patchSecret', namespace, name, body: patch });
    const secret = this.secrets.get(`${namespace}/${name}`);
    if (secret === undefined) throw apiError(404, { reason: 'NotFound', message: `secrets "${name}" not found` });
    const metadata = (patch['metadata'] ?? {}) as Record<string, unknown>;
    secret.metadata = { ...secret.metadata, ...metadata };
    if (patch['data'] !== undefined) secret.data = { ...secret.data, ...(patch['data'] as Record<string, string>) };
    return structuredClone(secret);
  }

  async deleteSecret(namespace: string, name: string): Promise<void> {
    this.record({ method: 'deleteSecret', namespace, name });
    if (!this.secrets.delete(`${namespace}/${name}`)) throw apiError(404, { reason: 'NotFound', message: `secrets "${name}" not found` });
  }

  private record(call: RecordedCall): void {
    this.calls.push(call);
    const failure = this.failures.get(call.method)?.shift();
    if (failure !== undefined) throw failure;
  }

  private deletePodsOf(job: V1Job): void {
    const identifier = job.metadata?.labels?.['prefect.io/identifier'];
    for (const [name, pod] of this.pods) {
      if (identifier !== undefined && pod.metadata?.labels?.['prefect.io/identifier'] === identifier) this.pods.delete(name);
    }
  }

  private async *replay<T>(method: Method, session: WatchSession<T> | undefined, signal: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    if (session === undefined) {
      // No script left: an open watch on which nothing happens.
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      return;
    }
    for (const item of session) {
      if (signal.aborted) return;
      if (item instanceof Error) throw item;
      if ('wait' in item) {
        await new Promise((resolve) => setTimeout(resolve, item.wait));
        continue;
      }
      if (item.type !== 'ERROR' && item.type !== 'BOOKMARK') this.apply(method, item);
      yield item;
    }
  }

  /** Keeps the stored objects in step with the events a session replays. */
  private apply<T>(method: Method, event: WatchEvent<T>): void {
    const object = event.object as V1Job | V1Pod;
    const key = `${object.metadata?.namespace ?? 'default'}/${object.metadata?.name}`;
    if (method === 'watchJobs') {
      if (event.type === 'DELETED') this.jobs.delete(key);
      else this.jobs.set(key, structuredClone(object as V1Job));
    } else if (event.type === 'DELETED') {
      this.pods.delete(object.metadata?.name ?? '');
    } else {
      this.pods.set(object.metadata?.name ?? '', structuredClone(object as V1Pod));
    }
  }
}

function matches(object: V1Job | V1Pod, options: ListOptions): boolean {
  for (const selector of [options.labelSelector, options.fieldSelector]) {
    if (selector === undefined) continue;
    for (const requirement of selector.split(',')) {
      const [key, value] = requirement.split('=') as [string, string];
      const actual = key === 'metadata.name' ? object.metadata?.name : object.metadata?.labels?.[key];
      if (actual !== value) return false;
    }
  }
  return true;
}
