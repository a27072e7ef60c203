import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import * as k8s from './__fixtures__/kubernetes-objects.js';
import { recordedRun, recordedRunNames } from './__fixtures__/recorded-runs.js';
import { applyJobEvent, applyPodEvent, createJobRunState, decideOutcome, podProblem, replacePods, type Decision } from './job-outcome.js';

type Step =
  | { at: number; job: V1Job; type?: 'ADDED' | 'MODIFIED' | 'DELETED' }
  | { at: number; pod: V1Pod; type?: 'ADDED' | 'MODIFIED' | 'DELETED' }
  | { at: number; check: true };

const stuckTimeoutMs = 120_000;

/** Feeds a recorded event sequence through the reducers; returns the decision after each step. */
function replay(steps: Step[], options: { cancelled?: boolean } = {}): Decision[] {
  const state = createJobRunState();
  return steps.map((step) => {
    if ('job' in step) applyJobEvent(state, step.type ?? 'MODIFIED', step.job, step.at);
    else if ('pod' in step) applyPodEvent(state, step.type ?? 'MODIFIED', step.pod, step.at);
    return decideOutcome(state, step.at, { stuckTimeoutMs, cancelled: options.cancelled ?? false });
  });
}

const last = (decisions: Decision[]): Decision => decisions.at(-1) as Decision;

describe('decideOutcome on recorded event sequences', () => {
  it('a run that completes: Success only on the Complete condition', () => {
    const decisions = replay([
      { at: 0, job: k8s.job(), type: 'ADDED' },
      { at: 50, pod: k8s.pending(), type: 'ADDED' },
      { at: 60, job: k8s.job({ active: 1 }) },
      { at: 900, pod: k8s.running() },
      { at: 3_000, pod: k8s.terminated('Completed', 0) },
      { at: 3_050, job: k8s.job({ succeeded: 1, conditions: [k8s.condition('SuccessCriteriaMet', 'CompletionsReached')] }) },
      { at: 3_060, job: k8s.complete() },
    ]);
    expect(decisions.slice(0, -1).every((decision) => !decision.done)).toBe(true);
    expect(last(decisions)).toEqual({ done: true, outcome: { state: 'Success' } });
  });

  it('a failing task: Failed with the Job reason and the exit code, naming the pod for the log tail', () => {
    const decision = last(replay([
      { at: 0, job: k8s.job({ active: 1 }), type: 'ADDED' },
      { at: 10, pod: k8s.running(), type: 'ADDED' },
      { at: 2_000, pod: k8s.terminated('Error', 1) },
      { at: 2_010, job: k8s.job({ failed: 1, conditions: [k8s.condition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')] }) },
      { at: 2_020, job: k8s.backoffLimitExceeded() },
    ]));
    expect(decision).toEqual({
      done: true,
      outcome: { state: 'Failed', reason: `BackoffLimitExceeded: Job has reached the specified backoff limit; pod ${k8s.jobName}-abcde: Error: container flow exited with code 1` },
      pod: `${k8s.jobName}-abcde`,
      container: 'flow',
    });
  });

  it('OOMKilled is named with what to change', () => {
    const decision = last(replay([
      { at: 0, pod: k8s.running(), type: 'ADDED' },
      { at: 100, pod: k8s.terminated('OOMKilled', 137) },
      { at: 110, job: k8s.backoffLimitExceeded() },
    ]));
    expect(decision.done && decision.outcome.reason).toBe(
      `BackoffLimitExceeded: Job has reached the specified backoff limit; pod ${k8s.jobName}-abcde: OOMKilled: container flow was killed for using more memory than its limit (exit code 137); raise resources.limits.memory in the job spec`,
    );
  });

  it('ImagePullBackOff fails the run once stuck for the timeout, counting ErrImagePull as the same condition', () => {
    const message = 'Back-off pulling image "registry.test/missing:1"';
    const decisions = replay([
      { at: 0, pod: k8s.pending(), type: 'ADDED' },
      { at: 1_000, pod: k8s.waiting('ErrImagePull', 'manifest unknown') },
      { at: 11_000, pod: k8s.waiting('ImagePullBackOff', message) },
      { at: 120_999, check: true },
      { at: 121_000, check: true },
    ]);
    expect(decisions[1]).toEqual({ done: false, recheckAt: 121_000 });
    expect(decisions[2]).toEqual({ done: false, recheckAt: 121_000 });
    expect(decisions[3]?.done).toBe(false);
    expect(decisions[4]).toEqual({
      done: true,
      outcome: { state: 'Failed', reason: `ImagePullBackOff: ${message} (pod ${k8s.jobName}-abcde, stuck for 120 s)` },
      pod: `${k8s.jobName}-abcde`,
      container: 'flow',
      abandon: true,
    });
  });

  it('a pull that recovers starts the clock again', () => {
    const decisions = replay([
      { at: 0, pod: k8s.waiting('ErrImagePull', 'i/o timeout'), type: 'ADDED' },
      { at: 30_000, pod: k8s.running() },
      { at: 200_000, check: true },
    ]);
    expect(last(decisions)).toEqual({ done: false, recheckAt: undefined });
  });

  it('CreateContainerConfigError and Unschedulable are stuck conditions too', () => {
    const config = last(replay([
      { at: 0, pod: k8s.waiting('CreateContainerConfigError', 'secret "flowenv-auth-x" not found'), type: 'ADDED' },
      { at: stuckTimeoutMs, check: true },
    ]));
    expect(config.done && config.outcome.reason).toBe(`CreateContainerConfigError: secret "flowenv-auth-x" not found (pod ${k8s.jobName}-abcde, stuck for 120 s)`);
    const unschedulable = last(replay([
      { at: 0, pod: k8s.unschedulable(), type: 'ADDED' },
      { at: stuckTimeoutMs + 5_000, check: true },
    ]));
    expect(unschedulable.done && unschedulable.outcome.reason).toBe(`Unschedulable: 0/1 nodes are available: 1 Insufficient memory. (pod ${k8s.jobName}-abcde, stuck for 125 s)`);
  });

  it('an invalid image name fails at once', () => {
    const decision = last(replay([{ at: 0, pod: k8s.waiting('InvalidImageName', 'couldn\'t parse image name "Bad Image"'), type: 'ADDED' }]));
    expect(decision).toMatchObject({ done: true, abandon: true, outcome: { state: 'Failed', reason: `InvalidImageName: couldn't parse image name "Bad Image" (pod ${k8s.jobName}-abcde)` } });
  });

  it('DeadlineExceeded (pods already removed) and an evicted pod', () => {
    const deadline = last(replay([
      { at: 0, pod: k8s.running(), type: 'ADDED' },
      { at: 5_000, pod: k8s.running(), type: 'DELETED' },
      { at: 5_010, job: k8s.deadlineExceeded() },
    ]));
    expect(deadline.done && deadline.outcome).toEqual({ state: 'Failed', reason: 'DeadlineExceeded: Job was active longer than specified deadline' });
    const evicted = last(replay([
      { at: 0, pod: k8s.evicted(), type: 'ADDED' },
      { at: 10, job: k8s.backoffLimitExceeded() },
    ]));
    expect(evicted.done && evicted.outcome.reason).toContain('; pod prefect-job-6f1c2d3e-abcde: Evicted: The node was low on resource: memory.');
  });

  it('names the newest pod when a Job retried (backoffLimit > 0)', () => {
    const decision = last(replay([
      { at: 0, pod: k8s.terminated('Error', 2, 'first'), type: 'ADDED' },
      { at: 1, pod: { ...k8s.terminated('OOMKilled', 137, 'second'), metadata: { ...k8s.terminated('OOMKilled', 137, 'second').metadata, creationTimestamp: new Date('2026-01-01T00:01:00Z') } }, type: 'ADDED' },
      { at: 2, job: k8s.backoffLimitExceeded() },
    ]));
    expect(decision).toMatchObject({ done: true, pod: 'second' });
  });

  it('a Job deleted before it finished is Cancelled; cancel() is Cancelled at once', () => {
    expect(last(replay([{ at: 0, job: k8s.job({ active: 1 }), type: 'ADDED' }, { at: 10, job: k8s.job({ active: 1 }), type: 'DELETED' }]))).toEqual({
      done: true,
      outcome: { state: 'Cancelled', reason: `the Job ${k8s.jobName} was deleted before it finished (by someone else, or by its ttlSecondsAfterFinished)` },
    });
    expect(last(replay([{ at: 0, job: k8s.job({ active: 1 }), type: 'ADDED' }], { cancelled: true }))).toMatchObject({ done: true, outcome: { state: 'Cancelled' } });
  });

  it('a Job that creates no pod fails after the stuck timeout (NoPodCreated)', () => {
    const decisions = replay([
      { at: 1_000, job: k8s.job(), type: 'ADDED' },
      { at: 1_050, job: k8s.job({ active: 0 }) },
      { at: 1_000 + stuckTimeoutMs, check: true },
    ]);
    expect(decisions[1]).toEqual({ done: false, recheckAt: 1_000 + stuckTimeoutMs });
    expect(last(decisions)).toEqual({
      done: true,
      outcome: { state: 'Failed', reason: `NoPodCreated: the Job created no pod in 120 s (a ResourceQuota, a LimitRange or a missing ServiceAccount can prevent it; kubectl describe job ${k8s.jobName} shows why)` },
      abandon: true,
    });
    // A pod, even a pending one, stops that clock.
    expect(last(replay([{ at: 0, job: k8s.job(), type: 'ADDED' }, { at: 10, pod: k8s.pending(), type: 'ADDED' }, { at: 10 * stuckTimeoutMs, check: true }])).done).toBe(false);
  });

  it('ignores stuck pods that are being deleted, and a re-list drops vanished pods', () => {
    const state = createJobRunState();
    const deleting = k8s.waiting('ImagePullBackOff', 'x');
    deleting.metadata = { ...deleting.metadata, deletionTimestamp: new Date() };
    applyPodEvent(state, 'ADDED', deleting, 0);
    applyJobEvent(state, 'ADDED', k8s.job({ active: 1 }), 0);
    expect(decideOutcome(state, 10 * stuckTimeoutMs, { stuckTimeoutMs, cancelled: false }).done).toBe(false);
    replacePods(state, [], 1);
    expect(state.pods.size).toBe(0);
    expect(state.stuckSince.size).toBe(0);
  });
});

describe('podProblem', () => {
  it('is undefined for healthy pods', () => {
    expect(podProblem(k8s.pending())).toBeUndefined();
    expect(podProblem(k8s.running())).toBeUndefined();
    expect(podProblem(k8s.terminated('Completed', 0))).toBeUndefined();
  });
});

describe('decideOutcome on runs recorded from the test cluster', () => {
  it.each(recordedRunNames)('%s: the same outcome as when it was recorded, and only at its end', (name) => {
    const run = recordedRun(name);
    const state = createJobRunState();
    // The image-pull run was recorded with a 12 s stuck timeout.
    const options = { stuckTimeoutMs: name === 'image-pull-back-off' ? 12_000 : stuckTimeoutMs, cancelled: false };
    let decision: Decision = { done: false };
    for (const event of run.events) {
      // wait()'s timer: a stuck timeout that runs out before the next event decides first.
      if (!decision.done && decision.recheckAt !== undefined && decision.recheckAt <= event.at) decision = decideOutcome(state, decision.recheckAt, options);
      if (decision.done) break;
      if (event.kind === 'job') applyJobEvent(state, event.type, event.object as V1Job, event.at);
      else applyPodEvent(state, event.type, event.object as V1Pod, event.at);
      decision = decideOutcome(state, event.at, options);
      if (decision.done) break;
    }
    const final = decision;
    expect(final.done).toBe(true);
    if (!final.done) return;
    expect(final.outcome.state).toBe(run.outcome.state);
    if (name === 'image-pull-back-off') expect(final.outcome.reason).toMatch(/^ImagePullBackOff: Back-off pulling image ".*\/e2e\/missing:1": ErrImagePull: .*manifest unknown \(pod e2e-flow-[0-9a-f]{8}-[a-z0-9]{5}, stuck for 1\d s\)$/);
    else expect(final.outcome.reason).toBe(run.outcome.reason);
  });
});
