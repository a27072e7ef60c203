import type { RunOutcome } from '@flowenv/core';
import type { V1Job, V1Pod } from '@kubernetes/client-node';

/**
 * What wait() knows about a run, built from watch events by {@link applyJobEvent} /
 * {@link applyPodEvent}, and judged by {@link decideOutcome}. Pure data: the recorded event
 * sequences of the unit tests go through exactly the code that live watches do.
 */
export interface JobRunState {
  /** The Job as last seen (undefined before the first event). */
  job: V1Job | undefined;
  /** The Job is gone (a DELETED event, or a list that no longer has it). */
  jobGone: boolean;
  /** The run's pods by name, as last seen. */
  pods: Map<string, V1Pod>;
  /** When each stuck condition was first seen (key: pod name + problem class), in ms. */
  stuckSince: Map<string, number>;
  /** Since when the Job has had no pod at all (undefined while it has one), in ms. */
  podlessSince: number | undefined;
}

export function createJobRunState(): JobRunState {
  return { job: undefined, jobGone: false, pods: new Map(), stuckSince: new Map(), podlessSince: undefined };
}

/** Why a pod does not make progress, or why it ended badly. */
export interface PodProblem {
  /** Kubernetes' own word for it: ImagePullBackOff, OOMKilled, Unschedulable, Evicted, … */
  reason: string;
  message: string;
  /**
   * `stuck`: waits forever unless something changes (image pulls, missing config, scheduling);
   * fails the run after the stuck timeout. `fatal`: cannot recover (invalid image name); fails the
   * run at once. `ended`: the pod or a container finished badly (exit code, OOM, eviction).
   */
  kind: 'stuck' | 'fatal' | 'ended';
  /** The problem class, so that ErrImagePull and ImagePullBackOff count as one stuck condition. */
  class: string;
  container?: string | undefined;
}

const stuckWaitingReasons: Record<string, string> = {
  ErrImagePull: 'image-pull',
  ImagePullBackOff: 'image-pull',
  CreateContainerConfigError: 'container-config',
  CreateContainerError: 'container-create',
  RunContainerError: 'container-create',
  CrashLoopBackOff: 'crash-loop',
};
const fatalWaitingReasons = new Set(['InvalidImageName', 'ErrImageNeverPull']);

/** The first thing wrong with a pod, if anything: scheduling, then waiting containers, then ended ones. */
export function podProblem(pod: V1Pod): PodProblem | undefined {
  const status = pod.status;
  const scheduled = status?.conditions?.find((condition) => condition.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return { reason: 'Unschedulable', message: scheduled.message ?? 'no node can run the pod', kind: 'stuck', class: 'unschedulable' };
  }
  const containers = [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])];
  for (const container of containers) {
    const reason = container.state?.waiting?.reason;
    if (reason === undefined) continue;
    const message = container.state?.waiting?.message ?? reason;
    if (fatalWaitingReasons.has(reason)) return { reason, message, kind: 'fatal', class: reason, container: container.name };
    const stuckClass = stuckWaitingReasons[reason];
    if (stuckClass !== undefined) return { reason, message, kind: 'stuck', class: stuckClass, container: container.name };
  }
  for (const container of containers) {
    const terminated = container.state?.terminated ?? (status?.phase === 'Failed' ? container.lastState?.terminated : undefined);
    if (terminated === undefined || terminated.exitCode === 0) continue;
    const reason = terminated.reason ?? 'Error';
    const message = reason === 'OOMKilled'
      ? `container ${container.name} was killed for using more memory than its limit (exit code ${terminated.exitCode}); raise resources.limits.memory in the job spec`
      : `container ${container.name} exited with code ${terminated.exitCode}${terminated.message ? `: ${terminated.message}` : ''}`;
    return { reason, message, kind: 'ended', class: reason, container: container.name };
  }
  if (status?.phase === 'Failed') {
    const reason = status.reason ?? 'Failed';
    return { reason, message: status.message ?? `pod ${pod.metadata?.name ?? ''} failed`, kind: 'ended', class: reason };
  }
  return undefined;
}

/** Applies one Job watch event (or list result). `undefined` means "not in the list any more". */
export function applyJobEvent(state: JobRunState, type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'LISTED', job: V1Job | undefined, now = 0): void {
  if (type === 'DELETED' || job === undefined) {
    state.jobGone = true;
    if (job !== undefined) state.job = job;
    return;
  }
  state.job = job;
  if (state.pods.size === 0) state.podlessSince ??= now;
}

/** Applies one pod watch event (or list result, as ADDED), recording when stuck conditions start and end. */
export function applyPodEvent(state: JobRunState, type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: V1Pod, now: number): void {
  const name = pod.metadata?.name ?? '';
  if (type === 'DELETED') state.pods.delete(name);
  else state.pods.set(name, pod);
  state.podlessSince = state.pods.size === 0 ? (state.podlessSince ?? now) : undefined;
  const problem = type === 'DELETED' ? undefined : podProblem(pod);
  const key = problem?.kind === 'stuck' ? `${name}/${problem.class}` : undefined;
  for (const existing of [...state.stuckSince.keys()]) {
    if (existing.startsWith(`${name}/`) && existing !== key) state.stuckSince.delete(existing);
  }
  if (key !== undefined && !state.stuckSince.has(key)) state.stuckSince.set(key, now);
}

/** Replaces the known pods by a fresh list (after a re-list), keeping the start of conditions still present. */
export function replacePods(state: JobRunState, pods: readonly V1Pod[], now: number): void {
  const names = new Set(pods.map((pod) => pod.metadata?.name ?? ''));
  for (const name of [...state.pods.keys()]) {
    if (!names.has(name)) applyPodEvent(state, 'DELETED', state.pods.get(name) as V1Pod, now);
  }
  for (const pod of pods) applyPodEvent(state, 'ADDED', pod, now);
}

export type Decision =
  | { done: false; /** When to look again even without an event (a stuck timeout running out), in ms. */ recheckAt?: number | undefined }
  | {
      done: true;
      outcome: RunOutcome;
      /** The pod whose log tail explains a failure. */
      pod?: string | undefined;
      container?: string | undefined;
      /** The run can never finish by itself (stuck or fatal pod): the Job should be deleted. */
      abandon?: boolean | undefined;
    };

export interface DecideOptions {
  /** How long a pod may stay stuck (image pull, config error, unschedulable) before the run fails. */
  stuckTimeoutMs: number;
  /** cancel() was called on this run. */
  cancelled: boolean;
}

/**
 * The run's outcome from what is known, or "not yet" (with the time a stuck timeout runs out):
 * 1. cancelled by cancel() → Cancelled;
 * 2. the Job's `Complete` condition → Success; its `Failed` condition → Failed, with the Job's
 *    reason (BackoffLimitExceeded, DeadlineExceeded, …) and the pod's (OOMKilled, exit code, …);
 * 3. a pod that cannot start (InvalidImageName) → Failed at once; one stuck (ImagePullBackOff,
 *    CreateContainerConfigError, Unschedulable, …) for `stuckTimeoutMs` → Failed;
 * 4. the Job deleted before it finished (by someone else, or its TTL) → Cancelled;
 * 5. a Job without any pod for `stuckTimeoutMs` (a ResourceQuota, a missing ServiceAccount… make the
 *    Job controller's pod creation fail) → Failed, reason `NoPodCreated`.
 */
export function decideOutcome(state: JobRunState, now: number, options: DecideOptions): Decision {
  if (options.cancelled) return { done: true, outcome: { state: 'Cancelled', reason: 'cancelled with cancel(): the Job and its pods were deleted' } };
  const conditions = state.job?.status?.conditions ?? [];
  const complete = conditions.find((condition) => condition.type === 'Complete' && condition.status === 'True');
  if (complete !== undefined) return { done: true, outcome: { state: 'Success' } };
  const failed = conditions.find((condition) => condition.type === 'Failed' && condition.status === 'True');
  const pods = podsNewestFirst(state);
  if (failed !== undefined) {
    const culprit = pods.map((pod) => ({ pod, problem: podProblem(pod) })).find((candidate) => candidate.problem !== undefined);
    const jobReason = `${failed.reason ?? 'Failed'}${failed.message ? `: ${failed.message}` : ''}`;
    const podReason = culprit?.problem ? `; pod ${culprit.pod.metadata?.name}: ${culprit.problem.reason}: ${culprit.problem.message}` : '';
    return {
      done: true,
      outcome: { state: 'Failed', reason: `${jobReason}${podReason}` },
      pod: culprit?.pod.metadata?.name ?? pods[0]?.metadata?.name,
      container: culprit?.problem?.container,
    };
  }
  if (state.jobGone) {
    const name = state.job?.metadata?.name;
    return { done: true, outcome: { state: 'Cancelled', reason: `the Job${name ? ` ${name}` : ''} was deleted before it finished (by someone else, or by its ttlSecondsAfterFinished)` } };
  }
  let recheckAt: number | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const problem = podProblem(pod);
    if (problem === undefined) continue;
    const name = pod.metadata?.name ?? '';
    if (problem.kind === 'fatal') {
      return { done: true, outcome: { state: 'Failed', reason: `${problem.reason}: ${problem.message} (pod ${name})` }, pod: name, container: problem.container, abandon: true };
    }
    if (problem.kind !== 'stuck') continue;
    const since = state.stuckSince.get(`${name}/${problem.class}`) ?? now;
    const deadline = since + options.stuckTimeoutMs;
    if (now >= deadline) {
      return {
        done: true,
        outcome: { state: 'Failed', reason: `${problem.reason}: ${problem.message} (pod ${name}, stuck for ${Math.round((now - since) / 1000)} s)` },
        pod: name,
        container: problem.container,
        abandon: true,
      };
    }
    recheckAt = recheckAt === undefined ? deadline : Math.min(recheckAt, deadline);
  }
  if (state.job !== undefined && state.pods.size === 0 && state.podlessSince !== undefined && !state.job.metadata?.deletionTimestamp) {
    const deadline = state.podlessSince + options.stuckTimeoutMs;
    if (now >= deadline) {
      const name = state.job.metadata?.name;
      return {
        done: true,
        outcome: {
          state: 'Failed',
          reason: `NoPodCreated: the Job created no pod in ${Math.round((now - state.podlessSince) / 1000)} s (a ResourceQuota, a LimitRange or a missing ServiceAccount can prevent it; kubectl describe job ${name ?? ''} shows why)`,
        },
        abandon: true,
      };
    }
    recheckAt = recheckAt === undefined ? deadline : Math.min(recheckAt, deadline);
  }
  return { done: false, recheckAt };
}

function podsNewestFirst(state: JobRunState): V1Pod[] {
  const created = (pod: V1Pod): number => {
    const value = pod.metadata?.creationTimestamp as unknown;
    return value === undefined ? 0 : new Date(value as string | Date).getTime();
  };
  return [...state.pods.values()].sort((a, b) => created(b) - created(a));
}
