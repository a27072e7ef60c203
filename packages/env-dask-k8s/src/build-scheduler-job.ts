import {
  daskSchedulerEnv,
  FLOW_EXECUTE_COMMAND,
  FlowenvError,
  formatPythonLiteral,
  mergeEnvByName,
  resolveFlowRunId,
  type ConfigValue,
  type EnvVar,
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
  POD_IP_VARIABLE,
  POD_NAME_VARIABLE,
  POD_UID_VARIABLE,
} from './flow-container.js';
import { dockerSecretName, withPullSecret } from './image-pull-secrets.js';
import { toLabelValue } from './label-value.js';
import type { SchedulerSpec } from './load-dask-spec.js';

/**
 * Defaults added to the scheduler Job unless the spec sets them (0.11 added none): `backoffLimit: 0`
 * (a failed run is not re-run by Kubernetes), `ttlSecondsAfterFinished: 86400` (the Job and its pod
 * go a day after they finish), `restartPolicy: Never` (failures are reported, not restarted).
 */
export const SCHEDULER_JOB_DEFAULTS = Object.freeze({ backoffLimit: 0, ttlSecondsAfterFinished: 86_400, restartPolicy: 'Never' as const });

/** Where containers read PREFECT__CLOUD__AUTH_TOKEN from. */
export interface AuthTokenSecretRef {
  name: string;
  key: string;
}

/** Everything a run adds to the scheduler spec; nothing here is read from the process or a cluster. */
export interface SchedulerJobInput {
  /** The flow's image (DockerStorage `name`): the first container's image and PREFECT__CONTEXT__IMAGE. */
  image: string;
  /** PREFECT__CONTEXT__FLOW_FILE_PATH. */
  flowFilePath: string;
  /** The resolved namespace: the Job's and PREFECT__CONTEXT__NAMESPACE. */
  namespace: string;
  /** The run's identifier: name suffix, `prefect.io/identifier` labels, PREFECT__CONTEXT__IDENTIFIER (the workers get the same). */
  identifier: string;
  /** PREFECT__CONTEXT__FLOW_RUN_ID and the `prefect.io/flow_run_id` labels ("unknown" when missing). */
  flowRunId?: string | undefined;
  /** PREFECT__CLOUD__GRAPHQL. */
  graphqlUrl: string;
  /** The Secret holding the API token (PREFECT__CLOUD__AUTH_TOKEN becomes a secretKeyRef); none: an empty token. */
  authTokenSecret?: AuthTokenSecretRef | undefined;
  /** `logging.extra_loggers`; the Dask loggers are added. */
  extraLoggers: readonly string[];
  /** `logging.log_to_cloud`, sent for custom specs (the default template says "true", as 0.11's). */
  logToCloud: boolean;
  workStealing: boolean;
  schedulerLogs: boolean;
  /** Add `<namespace>-docker` to the pod's imagePullSecrets. */
  privateRegistry: boolean;
  /** Whether `spec` is the packaged template (fixed 16 variables) or the user's (12 added). */
  template: 'default' | 'custom';
  /** Parameter values for the run, sent as PREFECT__CONTEXT__PARAMETERS (read back as `context.parameters`). */
  parameters?: Record<string, unknown> | undefined;
}

/**
 * The scheduler Job `execute` submits and `flowenv render` prints (spec 2.5 `_populate_job_yaml` /
 * `_populate_scheduler_spec_yaml`, with the port's fixes). The spec is deep-copied, never changed.
 * 1. Name `prefect-dask-job-<identifier>`, the namespace, the labels `prefect.io/identifier`,
 *    `prefect.io/flow_run_id` and `app.kubernetes.io/managed-by` on the Job and its pod template
 *    (label maps are created when missing).
 * 2. {@link SCHEDULER_JOB_DEFAULTS} where not set.
 * 3. First container: the image, the `flowenv execute` command (args removed — custom specs too,
 *    0.11 issue #3401), core's `daskSchedulerEnv` merged by name, then the pod's name, uid and IP
 *    from the downward API (the worker pods' owner and the address they dial).
 * 4. With `privateRegistry`: `imagePullSecrets` gets `<namespace>-docker` (custom specs too).
 */
export function buildSchedulerJob(spec: SchedulerSpec, input: SchedulerJobInput): V1Job {
  const job = cloneJson(spec) as V1Job;
  const runLabels = {
    [IDENTIFIER_LABEL]: input.identifier,
    [FLOW_RUN_ID_LABEL]: toLabelValue(resolveFlowRunId(input.flowRunId)),
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
  };
  const { name: _name, generateName: _generateName, namespace: _namespace, labels, ...otherMetadata } = job.metadata ?? {};
  job.metadata = { name: `prefect-dask-job-${input.identifier}`, namespace: input.namespace, ...otherMetadata, labels: { ...labels, ...runLabels } };

  const jobSpec = job.spec as NonNullable<V1Job['spec']>;
  jobSpec.backoffLimit ??= SCHEDULER_JOB_DEFAULTS.backoffLimit;
  jobSpec.ttlSecondsAfterFinished ??= SCHEDULER_JOB_DEFAULTS.ttlSecondsAfterFinished;
  const template = jobSpec.template;
  const templateMetadata = (template.metadata ??= {});
  templateMetadata.labels = { ...templateMetadata.labels, ...runLabels };
  const podSpec = template.spec as NonNullable<typeof template.spec>;
  podSpec.restartPolicy ??= SCHEDULER_JOB_DEFAULTS.restartPolicy;
  if (input.privateRegistry) podSpec.imagePullSecrets = withPullSecret(podSpec.imagePullSecrets, dockerSecretName(input.namespace));

  const injected = daskSchedulerEnv({
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
    schedulerLogs: input.schedulerLogs,
    ...(input.template === 'default' ? { template: 'default', workStealing: input.workStealing } : { template: 'custom', logToCloud: input.logToCloud }),
  });
  const container = podSpec.containers[0] as V1Container;
  container.name ??= 'flow';
  container.image = input.image;
  container.command = [...FLOW_EXECUTE_COMMAND];
  delete container.args;
  const parameters: InjectedEnvVar[] = input.parameters !== undefined && Object.keys(input.parameters).length > 0
    ? [{ name: PARAMETERS_VARIABLE, value: formatParameters(input.parameters), precedence: 'run-identity' }]
    : [];
  container.env = mergeEnvByName(templateEnv(container.env, injected, input.template), [...injected, ...parameters, ...downwardApiVariables()]) as V1EnvVar[];
  return job;
}

/**
 * The container's own variables before the merge. The packaged template lists the injected names
 * only to document 0.11's layout: its values are placeholders, so they make way for the run's (the
 * result is then exactly 0.11's 16 slots, in order). A custom spec's variables are the user's and
 * follow mergeEnvByName's precedence.
 */
export function templateEnv(existing: readonly EnvVar[] | null | undefined, injected: readonly InjectedEnvVar[], template: 'default' | 'custom'): EnvVar[] {
  if (template === 'custom') return [...(existing ?? [])];
  const injectedNames = new Set(injected.map((variable) => variable.name));
  return (existing ?? []).filter((variable) => !injectedNames.has(variable.name));
}

/** Parameters as one Python-literal dict, the form the config loader reads back into `context.parameters`. */
function formatParameters(parameters: Record<string, unknown>): string {
  let json: ConfigValue;
  try {
    json = JSON.parse(JSON.stringify(parameters)) as ConfigValue;
  } catch (error) {
    throw new FlowenvError({ code: 'OPTIONS_INVALID', message: 'DaskKubernetesEnvironment sends parameters to the Job as text: pass only JSON values', cause: error });
  }
  return formatPythonLiteral(json);
}

function downwardApiVariables(): InjectedEnvVar[] {
  const field = (name: string, fieldPath: string): InjectedEnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } }, precedence: 'run-identity' });
  return [field(POD_NAME_VARIABLE, 'metadata.name'), field(POD_UID_VARIABLE, 'metadata.uid'), field(POD_IP_VARIABLE, 'status.podIP')];
}
