import { createLogger, FlowenvError } from '@flowenv/core';
import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { apiError, FakeKubernetesApi, networkError } from './__fixtures__/fake-kubernetes-api.js';
import * as k8s from './__fixtures__/kubernetes-objects.js';
import { recordedRun, recordedRunNames } from './__fixtures__/recorded-runs.js';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { createJobHandle, type JobHandleInput } from './watch-job.js';

const podName = `${k8s.jobName}-abcde`;

function setup(options: Partial<JobHandleInput> = {}) {
  const api = new FakeKubernetesApi();
  api.jobs.set(`${k8s.namespace}/${k8s.jobName}`, k8s.job({ active: 1 }));
  const handle = createJobHandle({
    api,
    namespace: k8s.namespace,
    jobName: k8s.jobName,
    uid: k8s.jobUid,
    identifier: k8s.identifier,
    containerName: 'flow',
    stuckTimeoutMs: 60_000,
    logger: createLogger('test'),
    pollIntervalMs: 5,
    sleep: async () => {},
    ...options,
  });
  return { api, handle };
}

async function rejectionOf(promise: Promise<unknown>): Promise<FlowenvError> {
  try {
    await promise;
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('createJobHandle', () => {
  it('identifies the run', () => {
    const { handle } = setup();
    expect(handle.kind).toBe('kubernetes-job');
    expect(handle.id).toBe(k8s.jobName);
    expect(handle.details).toEqual({ namespace: 'default', job: k8s.jobName, uid: k8s.jobUid, identifier: k8s.identifier });
  });

  it('wait(): Success when the Job completes, from list+watch of the Job and of its pods', async () => {
    const { api, handle } = setup();
    api.podWatchSessions.push([{ type: 'ADDED', object: k8s.running() }, { type: 'MODIFIED', object: k8s.terminated('Completed', 0) }]);
    api.jobWatchSessions.push([{ type: 'MODIFIED', object: k8s.complete() }]);
    expect(await handle.wait()).toEqual({ state: 'Success' });
    expect(api.callsOf('listJobs')[0]?.options).toEqual({ fieldSelector: `metadata.name=${k8s.jobName}` });
    expect(api.callsOf('watchPods')[0]?.options).toMatchObject({ labelSelector: `prefect.io/identifier=${k8s.identifier}`, allowWatchBookmarks: true, timeoutSeconds: 300 });
  });

  it('wait(): resumes the Job watch after a disconnect, from the last version it saw', async () => {
    const { api, handle } = setup();
    const active = k8s.job({ active: 1 });
    api.jobWatchSessions.push([{ type: 'MODIFIED', object: active }, networkError()], [{ type: 'MODIFIED', object: k8s.complete() }]);
    expect(await handle.wait()).toEqual({ state: 'Success' });
    const watches = api.callsOf('watchJobs').map((call) => (call.options as { resourceVersion?: string }).resourceVersion);
    expect(watches).toEqual(['100', active.metadata?.resourceVersion]);
  });

  it('wait(): Failed with the reasons and the last 20 log lines of the flow container', async () => {
    const { api, handle } = setup();
    api.podLogs.set(podName, `${Array.from({ length: 30 }, (_, index) => `line ${index + 1}`).join('\n')}\n`);
    // The Job's watch reports the failure before the pods' watch says why: the reason comes from a fresh list.
    setTimeout(() => api.pods.set(podName, k8s.terminated('Error', 1)), 10);
    api.podWatchSessions.push([{ wait: 200 }, { type: 'ADDED', object: k8s.terminated('Error', 1) }]);
    api.jobWatchSessions.push([{ wait: 30 }, { type: 'MODIFIED', object: k8s.backoffLimitExceeded() }]);
    const outcome = await handle.wait();
    expect(outcome.state).toBe('Failed');
    expect(outcome.reason).toBe(`BackoffLimitExceeded: Job has reached the specified backoff limit; pod ${podName}: Error: container flow exited with code 1`);
    expect(outcome.logTail).toEqual(Array.from({ length: 20 }, (_, index) => `line ${index + 11}`));
    expect(api.callsOf('readPodLog')[0]?.options).toEqual({ container: 'flow', tailLines: 20 });
  });

  it('wait(): a pod stuck in ImagePullBackOff fails the run after the stuck timeout, and its Job is deleted', async () => {
    const { api, handle } = setup({ stuckTimeoutMs: 40 });
    const started = Date.now();
    api.podWatchSessions.push([{ type: 'ADDED', object: k8s.waiting('ImagePullBackOff', 'Back-off pulling image "registry.test/missing:1"') }]);
    const outcome = await handle.wait();
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    expect(outcome).toMatchObject({ state: 'Failed', reason: expect.stringMatching(/^ImagePullBackOff: Back-off pulling image "registry.test\/missing:1" \(pod .*-abcde, stuck for 0 s\)$/) });
    expect(api.callsOf('deleteJob')).toEqual([{ method: 'deleteJob', namespace: 'default', name: k8s.jobName, options: { propagationPolicy: 'Background' } }]);
    expect(api.jobs.size).toBe(0);
  });

  it('wait(): a Job that creates no pod fails after the stuck timeout, with the Job\'s last warning event', async () => {
    const { api, handle } = setup({ stuckTimeoutMs: 30 });
    api.events.push(
      { metadata: { name: 'e1', creationTimestamp: new Date('2026-01-01T00:00:01Z') }, involvedObject: { uid: k8s.jobUid }, type: 'Normal', reason: 'SuccessfulCreate', message: 'x' },
      {
        metadata: { name: 'e2', creationTimestamp: new Date('2026-01-01T00:00:02Z') },
        involvedObject: { uid: k8s.jobUid },
        type: 'Warning',
        reason: 'FailedCreate',
        message: 'Error creating: pods "prefect-job-6f1c2d3e-x" is forbidden: error looking up service account default/etl: serviceaccount "etl" not found',
      },
    );
    const outcome = await handle.wait();
    expect(outcome.state).toBe('Failed');
    expect(outcome.reason).toMatch(/^NoPodCreated: the Job created no pod in 0 s \(.*\); last event: FailedCreate: Error creating: pods ".*" is forbidden: error looking up service account default\/etl: serviceaccount "etl" not found$/);
    expect(api.callsOf('listEvents')[0]?.options).toEqual({ fieldSelector: `involvedObject.uid=${k8s.jobUid}` });
    expect(api.jobs.size).toBe(0);
  });

  it('cancel(): deletes the Job (Foreground), waits until it is gone, and wait() reports Cancelled', async () => {
    const { api, handle } = setup();
    api.foregroundDeletionReads = 2;
    api.pods.set(podName, k8s.running());
    api.podWatchSessions.push([{ type: 'ADDED', object: k8s.running() }]);
    const waiting = handle.wait();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await handle.cancel();
    expect(api.callsOf('deleteJob')[0]?.options).toEqual({ propagationPolicy: 'Foreground' });
    expect(api.callsOf('readJob')).toHaveLength(3);
    expect(api.jobs.size).toBe(0);
    expect(api.pods.size).toBe(0);
    expect(await waiting).toEqual({ state: 'Cancelled', reason: 'cancelled with cancel(): the Job and its pods were deleted' });
    // Again: nothing left, nothing thrown.
    await handle.cancel();
  });

  it('cancel(): deletes a per-run Secret the Job does not own', async () => {
    const { api, handle } = setup({ unownedSecretName: 'flowenv-auth-x' });
    const secret: V1Secret = { metadata: { name: 'flowenv-auth-x', namespace: 'default' } };
    api.secrets.set('default/flowenv-auth-x', secret);
    await handle.cancel();
    expect(api.secrets.size).toBe(0);
  });

  it('wait(): a watch the identity may not open rejects with the verb and resource to grant', async () => {
    const { api, handle } = setup();
    api.jobWatchSessions.push([apiError(403, { reason: 'Forbidden', message: 'jobs.batch is forbidden: User "u" cannot watch resource "jobs"' })]);
    const error = await rejectionOf(handle.wait());
    expect(error.code).toBe('K8S_FORBIDDEN');
    expect(error.message).toContain('Grant the verb "watch" on resource "jobs" in API group "batch"');
  });

  it('wait(): a Job replaced by another of the same name counts as deleted; an abort signal stops waiting', async () => {
    const { api, handle } = setup();
    api.jobs.set(`${k8s.namespace}/${k8s.jobName}`, k8s.job({ uid: 'someone-else' }));
    expect(await handle.wait()).toMatchObject({ state: 'Cancelled', reason: expect.stringContaining('was deleted before it finished') });
    const second = setup();
    const controller = new AbortController();
    const waiting = second.handle.wait({ signal: controller.signal });
    controller.abort(new Error('stop waiting'));
    await expect(waiting).rejects.toThrow('stop waiting');
  });

  it('logs(): reads the log of each started pod; follow waits for the pod to start and ends with the Job', async () => {
    const { api, handle } = setup();
    api.podLogs.set(podName, 'Flow run RUNNING\nTask greeting: Success\n');
    api.pods.set(podName, k8s.pending());
    const none: string[] = [];
    for await (const line of handle.logs()) none.push(line);
    expect(none).toEqual([]);

    const followed: string[] = [];
    let polls = 0;
    const following = createJobHandle({
      api,
      namespace: k8s.namespace,
      jobName: k8s.jobName,
      uid: k8s.jobUid,
      identifier: k8s.identifier,
      containerName: 'flow',
      stuckTimeoutMs: 60_000,
      logger: createLogger('test'),
      sleep: async () => {
        // The pod starts after the first look; the Job completes after the second.
        polls += 1;
        if (polls === 1) api.pods.set(podName, k8s.running());
        if (polls === 2) api.jobs.set(`${k8s.namespace}/${k8s.jobName}`, k8s.complete());
      },
    });
    for await (const line of following.logs({ follow: true })) followed.push(line);
    expect(followed).toEqual(['Flow run RUNNING', 'Task greeting: Success']);
    expect(api.callsOf('followPodLog')).toHaveLength(1);
  });
});

describe('createJobHandle on runs recorded from the test cluster', () => {
  it.each(recordedRunNames)('%s: wait() replays the recorded Job and pod watches to the recorded outcome', async (name) => {
    const run = recordedRun(name);
    // Up to the recorded decision: what follows (the stuck Job's deletion) was wait()'s own doing.
    const events = run.events.filter((event) => event.type !== 'DELETED' && event.object.metadata?.deletionTimestamp === undefined);
    const api = new FakeKubernetesApi();
    const [firstJob] = events.filter((event) => event.kind === 'job');
    api.jobs.set(`default/${run.job}`, structuredClone(firstJob?.object as V1Job));
    // A fresh list of the pods gives their latest state, as the API server would.
    const lastPod = events.filter((event) => event.kind === 'pod').at(-1)?.object as V1Pod;
    api.pods.set(lastPod.metadata?.name ?? '', structuredClone(lastPod));
    // The two watches are separate streams; here the pod events come first, as they happened.
    api.jobWatchSessions.push([{ wait: 20 }, ...events.filter((event) => event.kind === 'job').map((event) => ({ type: event.type, object: event.object as V1Job }))]);
    api.podWatchSessions.push(events.filter((event) => event.kind === 'pod').map((event) => ({ type: event.type, object: event.object as V1Pod })));
    api.podLogs.set(lastPod.metadata?.name ?? '', 'last line\n');
    const handle = createJobHandle({
      api,
      namespace: 'default',
      jobName: run.job,
      uid: run.uid,
      identifier: run.identifier,
      containerName: 'flow',
      stuckTimeoutMs: 30,
      logger: createLogger('test'),
      sleep: async () => {},
    });
    const outcome = await handle.wait();
    expect(outcome.state).toBe(run.outcome.state);
    if (name === 'image-pull-back-off') expect(outcome.reason).toMatch(/^ImagePullBackOff: /);
    else expect(outcome.reason).toBe(run.outcome.reason);
    if (outcome.state === 'Failed' && name !== 'image-pull-back-off') expect(outcome.logTail).toEqual(['last line']);
  });
});
