// The watch events of four real runs on the test cluster (kube-apiserver v1.37.2 and the test node
// agent): a Job watch and a pod watch of the namespace, recorded while KubernetesJobEnvironment (@flowenv/env-k8s-job) ran
// the e2e flow, then trimmed to the fields flowenv reads (recorded/*.json; made by
// e2e/src/fixtures/k8s-record-events.mjs).
import { readFileSync } from 'node:fs';
import type { RunOutcome } from '@flowenv/core';
import type { V1Job, V1Pod } from '@kubernetes/client-node';

export interface RecordedEvent {
  /** Milliseconds after the recording started. */
  at: number;
  kind: 'job' | 'pod';
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: V1Job | V1Pod;
}

export interface RecordedRun {
  job: string;
  uid: string;
  identifier: string;
  /** What wait() reported when the run was recorded. */
  outcome: RunOutcome;
  events: RecordedEvent[];
}

export const recordedRunNames = ['complete', 'task-failed', 'oom-killed', 'image-pull-back-off'] as const;

export function recordedRun(name: (typeof recordedRunNames)[number]): RecordedRun {
  return JSON.parse(readFileSync(new URL(`./recorded/${name}.json`, import.meta.url), 'utf8')) as RecordedRun;
}
