import {
  FLOW_EXECUTE_COMMAND,
  FlowenvError,
  formatPythonLiteral,
  kubernetesJobEnv,
  mergeEnvByName,
  resolveFlowRunId,
  type ConfigValue,
  type InjectedEnvVar,
} from '@flowenv/core';
import type { V1Container, V1EnvVar, V1Job } from '@kubernetes/client-node';
import { cloneJson } from './clone-json.js';
import {
  FLOW_RUN_ID_LABEL,
  IDENTIFIER_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  PARAMETERS_VARIABLE,
} from './flow-container.js';
import { jobNameFields } from './job-name.js';
import { toLabelValue } from './label-value.js';
import type { JobSpec } from './load-job-spec.js';

/**
 * Defaults flowenv adds to every Job unless the spec file sets the field itself (0.11 added none):
 * - `backoffLimit: 0` — a failed flow run is not re-run by Kubernetes. Retries belong to the flow's
 *   tasks; a Job-level retry would run the whole flow again (its side effects too) and report the
 *   failure only after minutes of back-off (Kubernetes' own default is 6).
 * - `ttlSecondsAfterFinished: 86400` — a finished Job and its pods (and its per-run Secret, through
 *   its owner reference) are deleted a day after they finish: long enough to read their status and
 *   logs, short enough that finished runs do not pile up.
 * - `restartPolicy: Never` on the pod template — a failed container is reported, not restarted in
 *   place (which would hide the failure and lose its logs). Kubernetes requires Never or OnFailure.
 * `activeDeadlineSeconds` is not set: flows may legitimately run for hours; set it in the spec to
 * bound a run (the Job then fails with DeadlineExceeded, which wait() reports).
 */
export const JOB_DEFAULTS = Object.freeze({ backoffLimit: 0, ttlSecondsAfterFinished: 86_400, restartPolicy: 'Never' as const });

/** Where the flow container reads PREFECT__CLOUD__AUTH_TOKEN from. */
export interface AuthTokenSecretRef {
  /** The Secret's name, in the Job's namespace. */
  name: string;
  /** The key holding the token. */
  key: string;
}

/** Everything a run adds to the spec. Nothing here is read from the process or a cluster. */
export interface JobManifestInput {
  /** The image holding the flow (DockerStorage `name`): the first container's image and PREFECT__CONTEXT__IMAGE. */
  image: string;
  /** PREFECT__CONTEXT__FLOW_FILE_PATH: the flow module inside the image. */
  flowFilePath: string;
  /** The namespace the Job is created in (already resolved); also PREFECT__CONTEXT__NAMESPACE. */
  namespace: string;
  /** This run's identifier: the `prefect.io/identifier` labels, the name suffix, PREFECT__CONTEXT__IDENTIFIER. */
  identifier: string;
  /** PREFECT__CONTEXT__FLOW_RUN_ID and the `prefect.io/flow_run_id` labels ("unknown" when missing). */
  flowRunId?: string | undefined;
  /** PREFECT__CLOUD__GRAPHQL (`cloud.graphql`). */
  graphqlUrl: string;
  /** PREFECT__LOGGING__EXTRA_LOGGERS (`logging.extra_loggers`), sent in Python list form. */
  extraLoggers: readonly string[];
  /**
   * The Secret holding the API token: PREFECT__CLOUD__AUTH_TOKEN is then a `secretKeyRef`. Without
   * it the variable is empty (no token configured). A token is never written into the Job itself.
   */
  authTokenSecret?: AuthTokenSecretRef | undefined;
  /** Append `-<8 characters of the identifier>` to the Job name (see {@link jobNameFields}). */
  uniqueJobName: boolean;
  /** Parameter values for the run, sent to the first container as PREFECT__CONTEXT__PARAMETERS. */
  parameters?: Record<string, unknown> | undefined;
  /**
   * The first container's command (default: core's FLOW_EXECUTE_COMMAND, `flowenv execute`, which
   * DockerStorage images put on PATH).
   */
  command?: readonly string[] | undefined;
}

/**
 * The Job `execute` submits and `flowenv render` prints, as a pure function of the parsed spec and
 * the run (spec 2.4 `_populate_job_spec_yaml`, with the 0.11.3 labels and the port's fixes). The
 * spec is deep-copied, never changed (spec §9.5). What it does:
 * 1. Name: the spec's, made unique per run by default ({@link jobNameFields}); namespace: the resolved one.
 * 2. Labels `prefect.io/identifier`, `prefect.io/flow_run_id` and `app.kubernetes.io/managed-by:
 *    flowenv` on the Job and on its pod template (the user's other labels are kept).
 * 3. {@link JOB_DEFAULTS} where the spec does not set them.
 * 4. Every container gets the 11 variables of spec 6.2 plus PREFECT__CONTEXT__IDENTIFIER, merged by
 *    name (core's `mergeEnvByName`: run-identity values replace the user's, configuration values yield).
 * 5. The first container gets the image, the `flowenv execute` command (its `args` are removed, as
 *    0.11 replaced both) and the run's parameters. Other containers keep their image and command.
 * Everything else — resources, volumes, service account, pull secrets, node selection — stays as written.
 */
export function buildJobManifest(spec: JobSpec, input: JobManifestInput): V1Job {
  const job = cloneJson(spec) as V1Job;
  const runLabels = {
    [IDENTIFIER_LABEL]: input.identifier,
    [FLOW_RUN_ID_LABEL]: toLabelValue(resolveFlowRunId(input.flowRunId)),
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
  };
  // Name and namespace first, as people read manifests; the user's other fields follow as written.
  const { name: _name, generateName: _generateName, namespace: _namespace, labels, ...otherMetadata } = job.metadata ?? {};
  job.metadata = {
    ...jobNameFields(job.metadata, input.uniqueJobName, input.identifier),
    namespace: input.namespace,
    ...otherMetadata,
    labels: { ...labels, ...runLabels },
  };

  // The schema guarantees spec.template.spec.containers (at least one).
  const jobSpec = job.spec as NonNullable<V1Job['spec']>;
  jobSpec.backoffLimit ??= JOB_DEFAULTS.backoffLimit;
  jobSpec.ttlSecondsAfterFinished ??= JOB_DEFAULTS.ttlSecondsAfterFinished;
  const template = jobSpec.template;
  const templateMetadata = (template.metadata ??= {});
  templateMetadata.labels = { ...templateMetadata.labels, ...runLabels };
  const podSpec = template.spec as NonNullable<typeof template.spec>;
  podSpec.restartPolicy ??= JOB_DEFAULTS.restartPolicy;

  const injected = kubernetesJobEnv({
    graphqlUrl: input.graphqlUrl,
    authToken: input.authTokenSecret === undefined
      ? { value: '' }
      : { valueFrom: { secretKeyRef: { name: input.authTokenSecret.name, key: input.authTokenSecret.key } } },
    flowRunId: input.flowRunId,
    identifier: input.identifier,
    namespace: input.namespace,
    image: input.image,
    flowFilePath: input.flowFilePath,
    extraLoggers: input.extraLoggers,
  });
  const flowContainerInjected = input.parameters !== undefined && Object.keys(input.parameters).length > 0
    ? [...injected, { name: PARAMETERS_VARIABLE, value: formatParameters(input.parameters), precedence: 'run-identity' } satisfies InjectedEnvVar]
    : injected;

  podSpec.containers.forEach((container: V1Container, index) => {
    container.env = mergeEnvByName(container.env ?? [], index === 0 ? flowContainerInjected : injected) as V1EnvVar[];
    if (index === 0) {
      container.name ??= 'flow';
      container.image = input.image;
      container.command = [...(input.command ?? FLOW_EXECUTE_COMMAND)];
      delete container.args;
    } else {
      container.name ??= `container-${index}`;
    }
  });
  return job;
}

/** Parameters as one Python-literal dict, the form the config loader reads back into `context.parameters`. */
function formatParameters(parameters: Record<string, unknown>): string {
  let json: ConfigValue;
  try {
    json = JSON.parse(JSON.stringify(parameters)) as ConfigValue;
  } catch (error) {
    throw new FlowenvError({ code: 'OPTIONS_INVALID', message: 'KubernetesJobEnvironment sends parameters to the Job as text: pass only JSON values', cause: error });
  }
  return formatPythonLiteral(json);
}
