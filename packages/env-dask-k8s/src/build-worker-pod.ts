import { daskWorkerEnv, mergeEnvByName, resolveFlowRunId, type InjectedEnvVar } from '@flowenv/core';
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import type { AuthTokenSecretRef } from './build-scheduler-job.js';
import { templateEnv } from './build-scheduler-job.js';
import { cloneJson } from './clone-json.js';
import { FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, SCHEDULER_ADDRESS_VARIABLE } from './flow-container.js';
import { dockerSecretName, withPullSecret } from './image-pull-secrets.js';
import { toLabelValue } from './label-value.js';
import type { WorkerSpec } from './load-dask-spec.js';

/** The pod the worker pods belong to: the scheduler's (from the downward API in the scheduler Job). */
export interface WorkerOwner {
  name: string;
  uid: string;
}

/** Everything a run adds to the worker spec; nothing here is read from the process or a cluster. */
export interface WorkerPodInput {
  /** The flow's image (PREFECT__CONTEXT__IMAGE in the scheduler); the first container's image. */
  image: string;
  namespace: string;
  /** The run's identifier (the scheduler's PREFECT__CONTEXT__IDENTIFIER): labels, name prefix, variable. */
  identifier: string;
  flowRunId?: string | undefined;
  graphqlUrl: string;
  authTokenSecret?: AuthTokenSecretRef | undefined;
  extraLoggers: readonly string[];
  logToCloud: boolean;
  schedulerLogs: boolean;
  privateRegistry: boolean;
  /** `tcp://host:port` of the run's scheduler, as DASK_SCHEDULER_ADDRESS. */
  schedulerAddress: string;
  /** The scheduler's pod: the worker pods' ownerReference, so they go when it goes. None in render. */
  owner?: WorkerOwner | undefined;
  template: 'default' | 'custom';
}

/**
 * One worker pod (spec 2.5 `_populate_worker_pod_yaml` / `_populate_worker_spec_yaml`, with the
 * port's fixes); the spec is deep-copied, never changed.
 * 1. `generateName: prefect-dask-worker-<first 8 of identifier>-`, the namespace, the labels
 *    `prefect.io/identifier` (the scheduler's — 0.11 generated another one per process, §9.3),
 *    `prefect.io/flow_run_id`, `app.kubernetes.io/managed-by`.
 * 2. An ownerReference to the scheduler's pod, when known: deleting it deletes the workers.
 * 3. First container: the flow's image, core's `daskWorkerEnv` merged by name, and
 *    DASK_SCHEDULER_ADDRESS (which `dask worker` reads when its command line names no scheduler, so
 *    custom specs need no address argument). Its command and args stay as written.
 * 4. With `privateRegistry`: `imagePullSecrets` gets `<namespace>-docker` (custom specs too).
 */
export function buildWorkerPod(spec: WorkerSpec, input: WorkerPodInput): V1Pod {
  const pod = cloneJson(spec) as V1Pod;
  pod.apiVersion = 'v1';
  const runLabels = {
    [IDENTIFIER_LABEL]: input.identifier,
    [FLOW_RUN_ID_LABEL]: toLabelValue(resolveFlowRunId(input.flowRunId)),
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
  };
  const { name: _name, generateName: _generateName, namespace: _namespace, labels, ownerReferences, ...otherMetadata } = pod.metadata ?? {};
  pod.metadata = {
    generateName: `prefect-dask-worker-${input.identifier.slice(0, 8)}-`,
    namespace: input.namespace,
    ...otherMetadata,
    labels: { ...labels, ...runLabels },
    ...(input.owner === undefined && ownerReferences === undefined
      ? {}
      : {
          ownerReferences: [
            ...(ownerReferences ?? []),
            ...(input.owner === undefined ? [] : [{ apiVersion: 'v1', kind: 'Pod', name: input.owner.name, uid: input.owner.uid, blockOwnerDeletion: false, controller: false }]),
          ],
        }),
  };
  const podSpec = pod.spec as NonNullable<V1Pod['spec']>;
  if (input.privateRegistry) podSpec.imagePullSecrets = withPullSecret(podSpec.imagePullSecrets, dockerSecretName(input.namespace));

  const injected: InjectedEnvVar[] = [
    ...daskWorkerEnv({
      graphqlUrl: input.graphqlUrl,
      authToken: input.authTokenSecret === undefined
        ? { value: '' }
        : { valueFrom: { secretKeyRef: { name: input.authTokenSecret.name, key: input.authTokenSecret.key } } },
      flowRunId: input.flowRunId,
      identifier: input.identifier,
      extraLoggers: input.extraLoggers,
      schedulerLogs: input.schedulerLogs,
      ...(input.template === 'default' ? { template: 'default' } : { template: 'custom', logToCloud: input.logToCloud }),
    }),
    { name: SCHEDULER_ADDRESS_VARIABLE, value: input.schedulerAddress, precedence: 'run-identity' },
  ];
  const container = podSpec.containers[0] as V1Container;
  container.name ??= 'dask-worker';
  container.image = input.image;
  container.env = mergeEnvByName(templateEnv(container.env, injected, input.template), injected) as V1EnvVar[];
  return pod;
}
