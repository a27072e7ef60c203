// The public API of @flowenv/env-k8s-job. Explicit named exports only; types with `export type`.

export { KubernetesJobEnvironment } from './kubernetes-job-environment.js';
export type { KubernetesJobEnvironmentOptions } from './kubernetes-job-options.js';
export { buildJobManifest, JOB_DEFAULTS } from './build-job-manifest.js';
export type { AuthTokenSecretRef, JobManifestInput } from './build-job-manifest.js';
export { buildAuthTokenSecret, DEFAULT_AUTH_TOKEN_SECRET_KEY, perRunSecretName } from './build-auth-token-secret.js';
export type { AuthTokenSecretInput } from './build-auth-token-secret.js';
export { DEFAULT_JOB_SPEC, jobSpecSchema, loadJobSpec, validateJobSpec } from './load-job-spec.js';
export type { JobSpec } from './load-job-spec.js';
export { DEFAULT_JOB_NAME, jobNameFields } from './job-name.js';
export { resolveJobNamespace } from './resolve-job-namespace.js';
export type { NamespaceSources } from './resolve-job-namespace.js';
export {
  AUTH_TOKEN_VARIABLE,
  FLOW_RUN_ID_LABEL,
  IDENTIFIER_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  PARAMETERS_VARIABLE,
} from './flow-container.js';
export { createKubernetesApi } from './create-kubernetes-api.js';
export type { KubernetesApi, ListOptions, WatchEvent, WatchOptions } from './kubernetes-api.js';
export { KubernetesRequestError } from './kubernetes-request-error.js';
export { isInCluster, loadKubeConfig, SERVICE_ACCOUNT_TOKEN_PATH } from './load-kube-config.js';
export type { KubeConfigSource, LoadKubeConfigOptions } from './load-kube-config.js';
export { isRetryableKubernetesError, mapKubernetesError } from './map-kubernetes-error.js';
export type { KubernetesCallContext } from './map-kubernetes-error.js';
export { createJobHandle } from './watch-job.js';
export type { JobHandleInput } from './watch-job.js';
export { decideOutcome, podProblem } from './job-outcome.js';
export type { Decision, JobRunState, PodProblem } from './job-outcome.js';
