import type { CoreV1EventList, V1Job, V1JobList, V1Pod, V1PodList, V1Secret, V1Status } from '@kubernetes/client-node';

/** One event of a watch stream (`?watch=true`). ERROR events carry a Status (410 Gone: start over). */
export type WatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: V1Status };

export interface ListOptions {
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}

export interface WatchOptions extends ListOptions {
  /** Start after this version (from a list or the last event); "" or absent: the current state, then changes. */
  resourceVersion?: string | undefined;
  /** The server ends the watch after this many seconds; the caller resumes it. */
  timeoutSeconds?: number | undefined;
  allowWatchBookmarks?: boolean | undefined;
}

/**
 * The Kubernetes calls DaskKubernetesEnvironment makes: the only surface between the environment
 * and a cluster, so unit tests and benchmarks can put a fake in its place (option `api`). Failures
 * are thrown as they come (HTTP status errors, network errors); callers map them with
 * mapKubernetesError. A watch or log stream ends when the server closes it and throws when it breaks.
 */
export interface KubernetesApi {
  /** The API server's URL, for messages. */
  readonly server: string;
  /** The namespace of the kubeconfig's current context (inside a pod: the pod's namespace), if any. */
  readonly contextNamespace: string | undefined;
  createJob(namespace: string, job: V1Job): Promise<V1Job>;
  readJob(namespace: string, name: string): Promise<V1Job>;
  listJobs(namespace: string, options: ListOptions): Promise<V1JobList>;
  watchJobs(namespace: string, options: WatchOptions, signal: AbortSignal): AsyncIterable<WatchEvent<V1Job>>;
  /** Deletes a Job and, with either policy, its pods (never `Orphan`). */
  deleteJob(namespace: string, name: string, propagationPolicy: 'Foreground' | 'Background'): Promise<void>;
  listPods(namespace: string, options: ListOptions): Promise<V1PodList>;
  createPod(namespace: string, pod: V1Pod): Promise<V1Pod>;
  /** Deletes a pod (a grace period of `gracePeriodSeconds` when given, else the pod's own). */
  deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<void>;
  watchPods(namespace: string, options: WatchOptions, signal: AbortSignal): AsyncIterable<WatchEvent<V1Pod>>;
  /** A container's log so far (the last `tailLines` lines when given). */
  readPodLog(namespace: string, pod: string, container: string, options: { tailLines?: number }): Promise<string>;
  /** A container's log line by line, following it until the container ends (or `signal` aborts). */
  followPodLog(namespace: string, pod: string, container: string, signal: AbortSignal): AsyncIterable<string>;
  /** Events of the namespace (core API), e.g. `fieldSelector: involvedObject.uid=<uid>`. */
  listEvents(namespace: string, options: ListOptions): Promise<CoreV1EventList>;
  createSecret(namespace: string, secret: V1Secret): Promise<V1Secret>;
  /** A JSON merge patch (RFC 7386). */
  patchSecret(namespace: string, name: string, patch: Record<string, unknown>): Promise<V1Secret>;
  deleteSecret(namespace: string, name: string): Promise<void>;
}
