import { formatPythonList } from '../config/interpret-value.js';
import type { Config } from '../config/load-config.js';
import { FlowenvError } from '../errors/flowenv-error.js';

/**
 * The `PREFECT__…` variables an environment hands to the containers it starts (spec section 6), as
 * pure functions of their inputs: nothing here reads `process.env` or talks to a cluster. Names and
 * order are Prefect 0.11's, so existing job templates and docs stay valid; the runner and executor
 * values name flowenv modules instead of Python classes.
 */

/** `engine.flow_runner.default_class` in every flow container. */
export const FLOW_RUNNER_CLASS = '@flowenv/core#FlowRunner';
/** `engine.task_runner.default_class` in every flow container. */
export const TASK_RUNNER_CLASS = '@flowenv/core#TaskRunner';
/** `engine.executor.default_class` in the containers of the Dask environments. */
export const DASK_EXECUTOR_CLASS = '@flowenv/dask#DaskExecutor';

/** The Dask handlers 0.11 blocked on every scheduler and worker it started. */
const daskBlockedHandlers = "['feed', 'run_function']";
/** Loggers the Dask Kubernetes environment always forwards (0.11 `_extra_loggers()`). */
const daskKubernetesLoggers = ['dask_kubernetes.core', 'distributed.deploy.adaptive', 'kubernetes'] as const;

/** One container environment variable, shaped like Kubernetes' V1EnvVar and ECS's KeyValuePair. */
export interface EnvVar {
  name: string;
  value?: string;
  /** Where the value comes from instead (a Kubernetes `secretKeyRef`, an ECS secret ARN, …). */
  valueFrom?: unknown;
}

/**
 * Who wins when the user's spec already has a variable of the same name (see {@link mergeEnvByName}):
 * `run-identity` values describe this run and always replace the user's; `configuration` values are
 * defaults the user may override.
 */
export type EnvVarPrecedence = 'run-identity' | 'configuration';

/** A variable flowenv injects, with its precedence class. */
export interface InjectedEnvVar extends EnvVar {
  precedence: EnvVarPrecedence;
}

/**
 * The API token as a literal value, or as a reference the provider resolves in the cluster
 * (`{ valueFrom: { secretKeyRef: … } }`) so the token never appears in a generated spec.
 */
export type AuthTokenSource = { value: string } | { valueFrom: unknown };

/**
 * The namespace a run uses when the context names none. 0.11 fell back to "" (Kubernetes job env),
 * "default" (Dask scheduler env, secret lookup) or "unknown" (pull-secret name); flowenv resolves it
 * here, once, to "default" everywhere (spec §9 item 7).
 */
export function resolveNamespace(namespace: string | null | undefined): string {
  return namespace === undefined || namespace === null || namespace === '' ? 'default' : namespace;
}

/**
 * The flow run id a run uses when the context has none: "unknown", as 0.11 used for jobs, labels and
 * Fargate (its Dask worker env used "" instead; flowenv uses one fallback, spec §9 item 7).
 */
export function resolveFlowRunId(flowRunId: string | null | undefined): string {
  return flowRunId === undefined || flowRunId === null || flowRunId === '' ? 'unknown' : flowRunId;
}

/** The config values the injected variables carry. */
export interface InjectionSettings {
  /** `cloud.graphql` (PREFECT__CLOUD__GRAPHQL). */
  graphqlUrl: string;
  /** `cloud.auth_token` (PREFECT__CLOUD__AUTH_TOKEN), "" when unset. */
  authToken: string;
  /** `cloud.agent.auth_token` (PREFECT__CLOUD__AGENT__AUTH_TOKEN), "" when unset. */
  agentAuthToken: string;
  /** `logging.log_to_cloud` (PREFECT__LOGGING__LOG_TO_CLOUD), default false. */
  logToCloud: boolean;
  /** `logging.extra_loggers` (PREFECT__LOGGING__EXTRA_LOGGERS), default []. */
  extraLoggers: string[];
}

/** Reads {@link InjectionSettings} from a loaded config, rejecting values of the wrong type. */
export function injectionSettingsFromConfig(config: Config): InjectionSettings {
  const logToCloud = config.get('logging.log_to_cloud') ?? false;
  if (typeof logToCloud !== 'boolean') {
    throw new FlowenvError({
      code: 'CONFIG_INVALID',
      message: `logging.log_to_cloud must be true or false, got ${JSON.stringify(logToCloud)}: set PREFECT__LOGGING__LOG_TO_CLOUD=true or false`,
    });
  }
  const extraLoggers = config.get('logging.extra_loggers') ?? [];
  if (!Array.isArray(extraLoggers) || !extraLoggers.every((name) => typeof name === 'string')) {
    throw new FlowenvError({
      code: 'CONFIG_INVALID',
      message: `logging.extra_loggers must be a list of logger names, got ${JSON.stringify(extraLoggers)}: set PREFECT__LOGGING__EXTRA_LOGGERS="['my_logger']"`,
    });
  }
  return {
    graphqlUrl: config.getString('cloud.graphql', ''),
    authToken: config.getString('cloud.auth_token', ''),
    agentAuthToken: config.getString('cloud.agent.auth_token', ''),
    logToCloud,
    extraLoggers: [...(extraLoggers as readonly string[])],
  };
}

/** What every flow container is told about the run. */
export interface RunIdentityInput {
  /** PREFECT__CLOUD__GRAPHQL, normally `cloud.graphql`. */
  graphqlUrl: string;
  /** PREFECT__CLOUD__AUTH_TOKEN. An empty value is still emitted, as 0.11 did. */
  authToken: AuthTokenSource;
  /** PREFECT__CONTEXT__FLOW_RUN_ID; "unknown" when missing ({@link resolveFlowRunId}). */
  flowRunId?: string | undefined;
  /** PREFECT__CONTEXT__IDENTIFIER, appended when given (0.11 had no such variable, spec §9 item 3). */
  identifier?: string | undefined;
}

/** A container that loads and runs the flow itself. */
export interface FlowContainerInput extends RunIdentityInput {
  /** PREFECT__CONTEXT__NAMESPACE; "default" when missing ({@link resolveNamespace}). */
  namespace?: string | undefined;
  /** PREFECT__CONTEXT__IMAGE: the image holding the flow. */
  image: string;
  /** PREFECT__CONTEXT__FLOW_FILE_PATH: the flow module inside the image. */
  flowFilePath: string;
}

/** Input of {@link kubernetesJobEnv}. */
export interface KubernetesJobEnvInput extends FlowContainerInput {
  /** `logging.extra_loggers`, sent as PREFECT__LOGGING__EXTRA_LOGGERS in Python list form. */
  extraLoggers: readonly string[];
}

/**
 * The 11 variables the Kubernetes job environment adds to every container of the job (spec 6.2),
 * then PREFECT__CONTEXT__IDENTIFIER when an identifier is given.
 */
export function kubernetesJobEnv(input: KubernetesJobEnvInput): InjectedEnvVar[] {
  return withIdentifier(
    [
      ...flowContainerIdentity(input),
      configuration('PREFECT__CLOUD__USE_LOCAL_SECRETS', 'false'),
      identity('PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS', FLOW_RUNNER_CLASS),
      identity('PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS', TASK_RUNNER_CLASS),
      configuration('PREFECT__LOGGING__LOG_TO_CLOUD', 'true'),
      configuration('PREFECT__LOGGING__EXTRA_LOGGERS', formatPythonList(input.extraLoggers)),
    ],
    input.identifier,
  );
}

/**
 * The loggers a Dask Kubernetes run forwards: the configured ones, the Dask/Kubernetes ones, and
 * the scheduler's when `schedulerLogs` is on (0.11 `_extra_loggers()`).
 */
export function daskExtraLoggers(configured: readonly string[], schedulerLogs: boolean): string[] {
  return [...configured, ...daskKubernetesLoggers, ...(schedulerLogs ? ['distributed.scheduler'] : [])];
}

/** What both Dask Kubernetes containers (scheduler job and workers) forward as loggers. */
interface DaskLoggingInput {
  /** `logging.extra_loggers`; {@link daskExtraLoggers} adds the Dask ones. */
  extraLoggers: readonly string[];
  /** Also forward `distributed.scheduler` logs. */
  schedulerLogs: boolean;
}

/**
 * Which 0.11 manifest the variables are for: the packaged default (fixed values for logging and
 * debug, work stealing chosen by the environment) or the user's own spec file (log-to-cloud from
 * config, the user's own Dask settings left alone).
 */
export type DaskTemplateInput = { template: 'default'; workStealing: boolean } | { template: 'custom'; logToCloud: boolean };

/** Input of {@link daskSchedulerEnv}. */
export type DaskSchedulerEnvInput = FlowContainerInput & DaskLoggingInput & DaskTemplateInput;

/**
 * The variables of the Dask Kubernetes scheduler job's first container (spec 2.5 and 6.3): the 16 of
 * the packaged job template, or the 12 appended to a custom scheduler spec, in 0.11's order; then
 * PREFECT__CONTEXT__IDENTIFIER when an identifier is given (the worker pods get the same one).
 */
export function daskSchedulerEnv(input: DaskSchedulerEnvInput): InjectedEnvVar[] {
  const extraLoggers = configuration('PREFECT__LOGGING__EXTRA_LOGGERS', formatPythonList(daskExtraLoggers(input.extraLoggers, input.schedulerLogs)));
  const common = [...flowContainerIdentity(input), ...daskRunners()];
  const variables =
    input.template === 'default'
      ? [
          ...common,
          ...defaultTemplateLogging(),
          configuration('DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING', input.workStealing ? 'True' : 'False'),
          configuration('DASK_DISTRIBUTED__SCHEDULER__BLOCKED_HANDLERS', daskBlockedHandlers),
          extraLoggers,
        ]
      : [...common, configuration('PREFECT__LOGGING__LOG_TO_CLOUD', String(input.logToCloud)), extraLoggers];
  return withIdentifier(variables, input.identifier);
}

/** Input of {@link daskWorkerEnv}. */
export type DaskWorkerEnvInput = RunIdentityInput & DaskLoggingInput & ({ template: 'default' } | { template: 'custom'; logToCloud: boolean });

/**
 * The variables of a Dask worker pod's first container (spec 2.5 and 6.3): the 12 of the packaged
 * worker template or the 9 appended to a custom worker spec, in 0.11's order; then
 * PREFECT__CONTEXT__IDENTIFIER when given. Workers get the "unknown" run-id fallback too (0.11: "").
 */
export function daskWorkerEnv(input: DaskWorkerEnvInput): InjectedEnvVar[] {
  const extraLoggers = configuration('PREFECT__LOGGING__EXTRA_LOGGERS', formatPythonList(daskExtraLoggers(input.extraLoggers, input.schedulerLogs)));
  const common = [...runIdentity(input), ...daskRunners()];
  const variables =
    input.template === 'default'
      ? [...common, ...defaultTemplateLogging(), configuration('DASK_DISTRIBUTED__SCHEDULER__BLOCKED_HANDLERS', daskBlockedHandlers), extraLoggers]
      : [...common, configuration('PREFECT__LOGGING__LOG_TO_CLOUD', String(input.logToCloud)), extraLoggers];
  return withIdentifier(variables, input.identifier);
}

/** Input of {@link fargateDefinitionEnv}. */
export interface FargateDefinitionEnvInput {
  /** PREFECT__CLOUD__GRAPHQL, normally `cloud.graphql`. */
  graphqlUrl: string;
  /** `logging.extra_loggers`, sent in Python list form. */
  extraLoggers: readonly string[];
}

/**
 * The 6 variables added to every container of a registered Fargate task definition (spec 3.2, 6.4).
 * Nothing run-specific and no token: those travel in {@link fargateRunOverrideEnv}.
 */
export function fargateDefinitionEnv(input: FargateDefinitionEnvInput): InjectedEnvVar[] {
  return [
    identity('PREFECT__CLOUD__GRAPHQL', input.graphqlUrl),
    configuration('PREFECT__CLOUD__USE_LOCAL_SECRETS', 'false'),
    identity('PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS', FLOW_RUNNER_CLASS),
    identity('PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS', TASK_RUNNER_CLASS),
    configuration('PREFECT__LOGGING__LOG_TO_CLOUD', 'true'),
    configuration('PREFECT__LOGGING__EXTRA_LOGGERS', formatPythonList(input.extraLoggers)),
  ];
}

/** Input of {@link fargateRunOverrideEnv}. */
export interface FargateRunOverrideEnvInput {
  /** PREFECT__CLOUD__AUTH_TOKEN, normally `cloud.auth_token`. */
  authToken: AuthTokenSource;
  /** `cloud.agent.auth_token`: when non-empty it is sent instead of `authToken`, as in 0.11. */
  agentAuthToken?: string | undefined;
  /** PREFECT__CONTEXT__FLOW_RUN_ID; "unknown" when missing. */
  flowRunId?: string | undefined;
  /** PREFECT__CONTEXT__IMAGE. */
  image: string;
  /** PREFECT__CONTEXT__FLOW_FILE_PATH. */
  flowFilePath: string;
  /** PREFECT__CONTEXT__IDENTIFIER, appended when given. */
  identifier?: string | undefined;
}

/** The 4 per-run variables of the Fargate task's `flow-container` override (spec 3.3), then the identifier. */
export function fargateRunOverrideEnv(input: FargateRunOverrideEnvInput): InjectedEnvVar[] {
  const authToken: AuthTokenSource =
    input.agentAuthToken !== undefined && input.agentAuthToken !== '' ? { value: input.agentAuthToken } : input.authToken;
  return withIdentifier(
    [
      authTokenVariable(authToken),
      identity('PREFECT__CONTEXT__FLOW_RUN_ID', resolveFlowRunId(input.flowRunId)),
      identity('PREFECT__CONTEXT__IMAGE', input.image),
      identity('PREFECT__CONTEXT__FLOW_FILE_PATH', input.flowFilePath),
    ],
    input.identifier,
  );
}

/**
 * Adds injected variables to a container's existing list, by name, never by position (0.11 appended
 * them, and Kubernetes lets the last duplicate win, so users could not override anything — issue
 * #3231). Precedence:
 *
 * - `run-identity` variables (API URL, auth token, flow run id, namespace, image, flow file path,
 *   identifier, runner and executor classes) always win: a user entry of the same name is removed.
 * - `configuration` variables (log-to-cloud, log level, extra loggers, use-local-secrets, debug, the
 *   `DASK_…` settings) yield: when the user already sets one, the user's entry stays and ours is dropped.
 *
 * The result is the user's entries in their order (minus removed ones), then the injected ones in
 * their order (minus yielded ones), without the precedence field. The inputs are not changed.
 */
export function mergeEnvByName(existing: readonly EnvVar[], injected: readonly InjectedEnvVar[]): EnvVar[] {
  const userNames = new Set(existing.map((variable) => variable.name));
  const replacedNames = new Set(injected.filter((variable) => variable.precedence === 'run-identity').map((variable) => variable.name));
  const kept = existing.filter((variable) => !replacedNames.has(variable.name)).map((variable) => ({ ...variable }));
  const added = injected
    .filter((variable) => variable.precedence === 'run-identity' || !userNames.has(variable.name))
    .map(({ name, value, valueFrom }): EnvVar => (valueFrom === undefined ? { name, value: value ?? '' } : { name, valueFrom }));
  return [...kept, ...added];
}

/** GRAPHQL, AUTH_TOKEN, FLOW_RUN_ID: the first three variables of every Kubernetes flow container. */
function runIdentity(input: RunIdentityInput): InjectedEnvVar[] {
  return [
    identity('PREFECT__CLOUD__GRAPHQL', input.graphqlUrl),
    authTokenVariable(input.authToken),
    identity('PREFECT__CONTEXT__FLOW_RUN_ID', resolveFlowRunId(input.flowRunId)),
  ];
}

/** {@link runIdentity}, then NAMESPACE, IMAGE, FLOW_FILE_PATH: slots 0–5 of the job containers. */
function flowContainerIdentity(input: FlowContainerInput): InjectedEnvVar[] {
  return [
    ...runIdentity(input),
    identity('PREFECT__CONTEXT__NAMESPACE', resolveNamespace(input.namespace)),
    identity('PREFECT__CONTEXT__IMAGE', input.image),
    identity('PREFECT__CONTEXT__FLOW_FILE_PATH', input.flowFilePath),
  ];
}

function daskRunners(): InjectedEnvVar[] {
  return [
    configuration('PREFECT__CLOUD__USE_LOCAL_SECRETS', 'false'),
    identity('PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS', FLOW_RUNNER_CLASS),
    identity('PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS', TASK_RUNNER_CLASS),
    identity('PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS', DASK_EXECUTOR_CLASS),
  ];
}

/** The fixed logging values of 0.11's packaged Dask job and worker templates. */
function defaultTemplateLogging(): InjectedEnvVar[] {
  return [
    configuration('PREFECT__LOGGING__LOG_TO_CLOUD', 'true'),
    configuration('PREFECT__LOGGING__LEVEL', 'DEBUG'),
    configuration('PREFECT__DEBUG', 'true'),
  ];
}

function authTokenVariable(token: AuthTokenSource): InjectedEnvVar {
  return 'valueFrom' in token
    ? { name: 'PREFECT__CLOUD__AUTH_TOKEN', valueFrom: token.valueFrom, precedence: 'run-identity' }
    : identity('PREFECT__CLOUD__AUTH_TOKEN', token.value);
}

function withIdentifier(variables: InjectedEnvVar[], identifier: string | undefined): InjectedEnvVar[] {
  return identifier === undefined || identifier === '' ? variables : [...variables, identity('PREFECT__CONTEXT__IDENTIFIER', identifier)];
}

function identity(name: string, value: string): InjectedEnvVar {
  return { name, value, precedence: 'run-identity' };
}

function configuration(name: string, value: string): InjectedEnvVar {
  return { name, value, precedence: 'configuration' };
}
