// Job and Pod objects shaped as kube-apiserver sends them in watch events (status fields as a
// v1.3x control plane and kubelet fill them in), for the outcome and handle tests.
import type { V1Job, V1JobCondition, V1Pod, V1PodStatus } from '@kubernetes/client-node';

export const identifier = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
export const jobName = 'prefect-job-6f1c2d3e';
export const jobUid = 'uid-job-1';
export const namespace = 'default';

let version = 1000;

export function job(options: { conditions?: V1JobCondition[]; active?: number; failed?: number; succeeded?: number; uid?: string; deleting?: boolean } = {}): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName,
      namespace,
      uid: options.uid ?? jobUid,
      resourceVersion: String(++version),
      labels: { 'prefect.io/identifier': identifier },
      ...(options.deleting ? { deletionTimestamp: new Date('2026-01-01T00:00:05Z'), finalizers: ['foregroundDeletion'] } : {}),
    },
    spec: { backoffLimit: 0, template: { spec: { containers: [{ name: 'flow', image: 'registry.test/flow:1' }], restartPolicy: 'Never' } } },
    status: {
      ...(options.active === undefined ? {} : { active: options.active }),
      ...(options.failed === undefined ? {} : { failed: options.failed }),
      ...(options.succeeded === undefined ? {} : { succeeded: options.succeeded }),
      ...(options.conditions === undefined ? {} : { conditions: options.conditions }),
    },
  };
}

export function condition(type: string, reason?: string, message?: string): V1JobCondition {
  return { type, status: 'True', ...(reason ? { reason } : {}), ...(message ? { message } : {}), lastTransitionTime: new Date('2026-01-01T00:00:10Z') };
}

export const complete = (): V1Job => job({ succeeded: 1, conditions: [condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'), condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods')] });
export const backoffLimitExceeded = (): V1Job => job({ failed: 1, conditions: [condition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'), condition('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')] });
export const deadlineExceeded = (): V1Job => job({ failed: 1, conditions: [condition('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline'), condition('Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline')] });

export function pod(name: string, status: V1PodStatus, created = '2026-01-01T00:00:01Z'): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      resourceVersion: String(++version),
      creationTimestamp: new Date(created),
      labels: { 'prefect.io/identifier': identifier, 'job-name': jobName, 'batch.kubernetes.io/controller-uid': jobUid },
    },
    spec: { containers: [{ name: 'flow', image: 'registry.test/flow:1' }], restartPolicy: 'Never' },
    status,
  };
}

const image = 'registry.test/flow:1';

export const pending = (name = `${jobName}-abcde`): V1Pod => pod(name, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] });

export const unschedulable = (name = `${jobName}-abcde`): V1Pod =>
  pod(name, {
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient memory.' }],
  });

export function waiting(reason: string, message: string, name = `${jobName}-abcde`): V1Pod {
  return pod(name, {
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'True' }],
    containerStatuses: [{ name: 'flow', image, imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, message } } }],
  });
}

export const running = (name = `${jobName}-abcde`): V1Pod =>
  pod(name, {
    phase: 'Running',
    containerStatuses: [{ name: 'flow', image, imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: new Date('2026-01-01T00:00:02Z') } } }],
  });

export function terminated(reason: string, exitCode: number, name = `${jobName}-abcde`): V1Pod {
  return pod(name, {
    phase: exitCode === 0 ? 'Succeeded' : 'Failed',
    containerStatuses: [{ name: 'flow', image, imageID: '', ready: false, restartCount: 0, state: { terminated: { reason, exitCode } } }],
  });
}

export const evicted = (name = `${jobName}-abcde`): V1Pod =>
  pod(name, { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' });
