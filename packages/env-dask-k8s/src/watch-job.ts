import { describeError, type Logger, type RunHandle, type RunOutcome } from '@flowenv/core';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { IDENTIFIER_LABEL } from './flow-container.js';
import { applyJobEvent, applyPodEvent, createJobRunState, decideOutcome, replacePods, type Decision, type JobRunState } from './job-outcome.js';
import type { KubernetesApi } from './kubernetes-api.js';
import { kubernetesErrorFacts, mapKubernetesError, type KubernetesCallContext } from './map-kubernetes-error.js';
import { retryKubernetes } from './retry-kubernetes.js';
import { deleteSecretQuietly } from './submit-job.js';
import { runResourceWatch, sleepUnlessAborted } from './watch-resource.js';

/** Lines of the flow container's log attached to a failed outcome. */
const logTailLines = 20;

export interface JobHandleInput {
  api: KubernetesApi;
  namespace: string;
  jobName: string;
  /** The Job's uid: a later Job of the same name is another run. */
  uid: string;
  /** The run's identifier (its pods carry it as `prefect.io/identifier`). */
  identifier: string;
  /** The flow container (the Job's first container): the one logs() reads. */
  containerName: string;
  /** How long a pod may stay stuck (image pull, config error, unschedulable) before wait() fails the run. */
  stuckTimeoutMs: number;
  /** A per-run Secret the Job does not own (its owner reference could not be set): deleted with the run. */
  unownedSecretName?: string | undefined;
  logger: Logger;
  /** How long cancel() waits for the Job and its pods to be gone (default 60 s). */
  cancelTimeoutMs?: number | undefined;
  /** Pause between two looks while waiting for pods or for deletion (default 1 s). */
  pollIntervalMs?: number | undefined;
  /** Server-side timeout of each watch request; wait() resumes after it (default 300 s). */
  watchTimeoutSeconds?: number | undefined;
  /** For tests. */
  now?: () => number;
  sleep?: (milliseconds: number, signal: AbortSignal) => Promise<void>;
}

/**
 * The RunHandle of a Kubernetes Job run (beyond 0.11, which fired and forgot):
 * - `wait()` follows the Job and its pods with list+watch (resumed after disconnects and expired
 *   versions) and resolves with the outcome: Success on `Complete`; Failed on `Failed` with the
 *   Job's and the pod's reasons (BackoffLimitExceeded, DeadlineExceeded, OOMKilled, exit code…)
 *   and the last lines of the flow container's log; Failed when a pod cannot start (InvalidImageName)
 *   or stays stuck (ImagePullBackOff, CreateContainerConfigError, Unschedulable…) for
 *   `stuckTimeoutMs` — that Job is then deleted, as it could never finish; Cancelled after cancel().
 * - `logs()` streams the flow container's log (each pod of the run in turn), following it with
 *   `follow: true` until the Job has finished.
 * - `cancel()` deletes the Job with Foreground propagation (its pods first; its per-run Secret
 *   follows through its owner reference) and waits until the Job is gone.
 */
export function createJobHandle(input: JobHandleInput): RunHandle {
  const { api, namespace, jobName, uid } = input;
  const now = input.now ?? Date.now;
  const sleep = input.sleep ?? sleepUnlessAborted;
  const pollIntervalMs = input.pollIntervalMs ?? 1_000;
  const podSelector = `${IDENTIFIER_LABEL}=${input.identifier}`;
  const jobSelector = `metadata.name=${jobName}`;
  const call = (verb: string, resource: string, name?: string): KubernetesCallContext => ({
    verb,
    resource,
    group: resource === 'jobs' ? 'batch' : '',
    namespace,
    name,
    server: api.server,
  });
  let cancelled = false;
  const onCancel = new Set<() => void>();

  const abandon = async (): Promise<void> => {
    try {
      await retryKubernetes(() => api.deleteJob(namespace, jobName, 'Background'));
      input.logger.info(`Deleted Job ${jobName}: it could never finish`);
    } catch (error) {
      if (kubernetesErrorFacts(error).status !== 404) input.logger.warn(`Could not delete the stuck Job ${jobName}: ${describeError(mapKubernetesError(error, call('delete', 'jobs', jobName)))}`);
    }
    if (input.unownedSecretName !== undefined) await deleteSecretQuietly(api, namespace, input.unownedSecretName, input.logger);
  };

  /** The Job's latest Warning event ("FailedCreate: pods … is forbidden: …"), if events may be read. */
  const lastWarning = async (): Promise<string | undefined> => {
    try {
      const events = (await api.listEvents(namespace, { fieldSelector: `involvedObject.uid=${uid}` })).items.filter((event) => event.type === 'Warning');
      const time = (event: (typeof events)[number]): number => new Date((event.lastTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp ?? 0) as unknown as string).getTime();
      const last = events.sort((a, b) => time(a) - time(b)).at(-1);
      return last === undefined ? undefined : `${last.reason ?? 'Warning'}: ${last.message ?? ''}`;
    } catch (error) {
      input.logger.debug(`Could not read the events of Job ${jobName}: ${describeError(error)}`);
      return undefined;
    }
  };

  const logTail = async (pod: string, container: string): Promise<string[] | undefined> => {
    try {
      const text = await api.readPodLog(namespace, pod, container, { tailLines: logTailLines });
      const lines = splitLines(text);
      return lines.length > 0 ? lines : undefined;
    } catch (error) {
      input.logger.debug(`Could not read the log tail of pod ${pod}: ${describeError(error)}`);
      return undefined;
    }
  };

  type Followed = { decision: Extract<Decision, { done: true }>; state: JobRunState };
  const follow = (signal: AbortSignal): Promise<Followed> =>
    new Promise((resolve, reject) => {
      const state = createJobRunState();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (): void => {
        clearTimeout(timer);
        onCancel.delete(evaluate);
      };
      const evaluate = (): void => {
        if (signal.aborted) return;
        const decision = decideOutcome(state, now(), { stuckTimeoutMs: input.stuckTimeoutMs, cancelled });
        clearTimeout(timer);
        if (decision.done) {
          finish();
          resolve({ decision, state });
        } else if (decision.recheckAt !== undefined) {
          timer = setTimeout(evaluate, Math.max(0, decision.recheckAt - now()) + 10);
        }
      };
      const fail = (error: unknown, context: KubernetesCallContext): void => {
        if (signal.aborted) return;
        finish();
        reject(mapKubernetesError(error, context));
      };
      onCancel.add(evaluate);
      signal.addEventListener('abort', () => {
        finish();
        reject(signal.reason);
      }, { once: true });

      const watchTimeout = input.watchTimeoutSeconds ?? 300;
      void runResourceWatch<V1Job>({
        list: async () => {
          const list = await api.listJobs(namespace, { fieldSelector: jobSelector }).catch((error: unknown) => {
            throw mapKubernetesError(error, call('list', 'jobs'));
          });
          return { items: list.items.filter((job) => job.metadata?.uid === uid), resourceVersion: list.metadata?.resourceVersion };
        },
        watch: (resourceVersion, watchSignal) =>
          api.watchJobs(namespace, { fieldSelector: jobSelector, resourceVersion, timeoutSeconds: watchTimeout, allowWatchBookmarks: true }, watchSignal),
        onList: (items) => {
          applyJobEvent(state, 'LISTED', items[0], now());
          evaluate();
        },
        onEvent: (type, job) => {
          if (job.metadata?.uid !== uid) return;
          applyJobEvent(state, type, job, now());
          evaluate();
        },
        signal,
        sleep,
      }).catch((error: unknown) => fail(error, call('watch', 'jobs', jobName)));
      void runResourceWatch<V1Pod>({
        list: async () => {
          const list = await api.listPods(namespace, { labelSelector: podSelector }).catch((error: unknown) => {
            throw mapKubernetesError(error, call('list', 'pods'));
          });
          return { items: list.items, resourceVersion: list.metadata?.resourceVersion };
        },
        watch: (resourceVersion, watchSignal) =>
          api.watchPods(namespace, { labelSelector: podSelector, resourceVersion, timeoutSeconds: watchTimeout, allowWatchBookmarks: true }, watchSignal),
        onList: (items) => {
          replacePods(state, items, now());
          evaluate();
        },
        onEvent: (type, pod) => {
          applyPodEvent(state, type, pod, now());
          evaluate();
        },
        signal,
        sleep,
      }).catch((error: unknown) => fail(error, call('watch', 'pods')));
    });

  const wait: RunHandle['wait'] = async (options = {}) => {
    options.signal?.throwIfAborted();
    const controller = new AbortController();
    const forward = (): void => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', forward, { once: true });
    let followed: Followed;
    try {
      followed = await follow(controller.signal);
    } finally {
      options.signal?.removeEventListener('abort', forward);
      // Ends both watches.
      controller.abort();
    }
    let decision = followed.decision;
    if (decision.outcome.state === 'Failed' && !decision.abandon) {
      // The Job and pod watches are separate streams: the Job's Failed condition may arrive before
      // the pod change that explains it. A fresh look at the pods gives the reason.
      try {
        const pods = await retryKubernetes(() => api.listPods(namespace, { labelSelector: podSelector }));
        replacePods(followed.state, pods.items, now());
        const again = decideOutcome(followed.state, now(), { stuckTimeoutMs: input.stuckTimeoutMs, cancelled });
        if (again.done) decision = again;
      } catch (error) {
        input.logger.debug(`Could not list the pods of Job ${jobName} for its failure reason: ${describeError(error)}`);
      }
    }
    const outcome: RunOutcome = { ...decision.outcome };
    if (outcome.reason?.startsWith('NoPodCreated')) {
      const event = await lastWarning();
      if (event !== undefined) outcome.reason = `${outcome.reason}; last event: ${event}`;
    }
    if (outcome.state === 'Failed' && decision.pod !== undefined) {
      const tail = await logTail(decision.pod, decision.container ?? input.containerName);
      if (tail !== undefined) outcome.logTail = tail;
    }
    if (decision.abandon) await abandon();
    return outcome;
  };

  /** True when the Job has finished or is gone. */
  const jobFinished = async (): Promise<boolean> => {
    try {
      const job = await retryKubernetes(() => api.readJob(namespace, jobName));
      if (job.metadata?.uid !== uid) return true;
      return (job.status?.conditions ?? []).some((condition) => (condition.type === 'Complete' || condition.type === 'Failed') && condition.status === 'True');
    } catch (error) {
      if (kubernetesErrorFacts(error).status === 404) return true;
      throw mapKubernetesError(error, call('get', 'jobs', jobName));
    }
  };

  async function* logs(options: { follow?: boolean } = {}): AsyncGenerator<string> {
    const controller = new AbortController();
    const streamed = new Set<string>();
    try {
      for (;;) {
        // Looked at before the pods: a pod listed after the Job finished has all there is to read.
        const finished = options.follow ? await jobFinished() : true;
        let pods: V1Pod[];
        try {
          pods = (await retryKubernetes(() => api.listPods(namespace, { labelSelector: podSelector }))).items;
        } catch (error) {
          throw mapKubernetesError(error, call('list', 'pods'));
        }
        let progressed = false;
        for (const pod of oldestFirst(pods)) {
          const name = pod.metadata?.name ?? '';
          if (streamed.has(name) || !containerStarted(pod, input.containerName)) continue;
          streamed.add(name);
          progressed = true;
          try {
            if (options.follow && containerRunning(pod, input.containerName)) {
              for await (const line of api.followPodLog(namespace, name, input.containerName, controller.signal)) yield line;
            } else {
              for (const line of splitLines(await api.readPodLog(namespace, name, input.containerName, {}))) yield line;
            }
          } catch (error) {
            const status = kubernetesErrorFacts(error).status;
            // 400: the container is not ready to give logs after all (a race with its start): later.
            if (status === 400) streamed.delete(name);
            else if (status !== 404) throw mapKubernetesError(error, call('get', 'pods/log', name));
          }
        }
        if (finished) return;
        if (!progressed) await sleep(pollIntervalMs, controller.signal);
      }
    } finally {
      controller.abort();
    }
  }

  const cancel = async (): Promise<void> => {
    cancelled = true;
    for (const evaluate of [...onCancel]) evaluate();
    try {
      await retryKubernetes(() => api.deleteJob(namespace, jobName, 'Foreground'));
    } catch (error) {
      if (kubernetesErrorFacts(error).status !== 404) throw mapKubernetesError(error, call('delete', 'jobs', jobName));
    }
    if (input.unownedSecretName !== undefined) await deleteSecretQuietly(api, namespace, input.unownedSecretName, input.logger);
    // Foreground propagation: the Job goes only once its pods are gone.
    const deadline = now() + (input.cancelTimeoutMs ?? 60_000);
    const never = new AbortController().signal;
    while (now() < deadline) {
      try {
        const job = await api.readJob(namespace, jobName);
        if (job.metadata?.uid !== uid) return;
      } catch (error) {
        if (kubernetesErrorFacts(error).status === 404) return;
        throw mapKubernetesError(error, call('get', 'jobs', jobName));
      }
      await sleep(Math.min(pollIntervalMs, 250), never);
    }
    input.logger.warn(`Job ${jobName} is still being deleted after ${Math.round((input.cancelTimeoutMs ?? 60_000) / 1000)} s (its pods are terminating); it will go when they have`);
  };

  return {
    kind: 'kubernetes-job',
    id: jobName,
    details: { namespace, job: jobName, uid, identifier: input.identifier },
    wait,
    logs,
    cancel,
  };
}

/** Whether a container of the pod has started (running or ended): only then has it a log to read. */
export function containerStarted(pod: V1Pod, container: string): boolean {
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return true;
  const status = pod.status?.containerStatuses?.find((candidate) => candidate.name === container);
  return Boolean(status?.state?.running ?? status?.state?.terminated ?? status?.lastState?.terminated);
}

function containerRunning(pod: V1Pod, container: string): boolean {
  return Boolean(pod.status?.containerStatuses?.find((candidate) => candidate.name === container)?.state?.running);
}

function oldestFirst(pods: readonly V1Pod[]): V1Pod[] {
  const created = (pod: V1Pod): number => new Date((pod.metadata?.creationTimestamp as unknown as string | undefined) ?? 0).getTime();
  return [...pods].sort((a, b) => created(a) - created(b));
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
