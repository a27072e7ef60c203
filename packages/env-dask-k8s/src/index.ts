// The public API of @flowenv/env-dask-k8s. Explicit named exports only; types with `export type`.

export { DaskKubernetesEnvironment, DEFAULT_DOCKER_SECRET } from './dask-kubernetes-environment.js';
export type { DaskKubernetesEnvironmentOptions, DaskScheduler } from './dask-kubernetes-options.js';
export { buildSchedulerJob, SCHEDULER_JOB_DEFAULTS } from './build-scheduler-job.js';
export type { AuthTokenSecretRef, SchedulerJobInput } from './build-scheduler-job.js';
export { buildWorkerPod } from './build-worker-pod.js';
export type { WorkerOwner, WorkerPodInput } from './build-worker-pod.js';
export { buildDockerConfigSecret, parseDockerCredentials } from './build-docker-config-secret.js';
export type { DockerRegistryCredentials } from './build-docker-config-secret.js';
export { dockerSecretName } from './image-pull-secrets.js';
export { adaptiveTarget } from './adaptive-target.js';
export { DEFAULT_SPEC_FILES, defaultSchedulerSpec, defaultWorkerSpec, loadDaskSpec, schedulerSpecSchema, validateDaskSpec, workerSpecSchema } from './load-dask-spec.js';
export type { SchedulerSpec, WorkerSpec } from './load-dask-spec.js';
export {
  FLOW_RUN_ID_LABEL,
  IDENTIFIER_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  POD_IP_VARIABLE,
  POD_NAME_VARIABLE,
  POD_UID_VARIABLE,
  SCHEDULER_ADDRESS_VARIABLE,
} from './flow-container.js';
export { createKubernetesApi } from './create-kubernetes-api.js';
export type { KubernetesApi, ListOptions, WatchEvent, WatchOptions } from './kubernetes-api.js';
export { KubernetesRequestError } from './kubernetes-request-error.js';
export { mapKubernetesError } from './map-kubernetes-error.js';
