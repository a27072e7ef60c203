// The public API of @flowenv/core. Explicit named exports only; types with `export type`.

export { FlowenvError } from './errors/flowenv-error.js';
export type { FlowenvErrorCode, FlowenvErrorOptions } from './errors/flowenv-error.js';

export { Flow } from './flow/flow.js';
export type { FlowOptions } from './flow/flow.js';
export type { TaskContext, TaskDefinition, TaskFunction, TaskInputs, TaskOptions, TaskRef, UpstreamMap } from './flow/task.js';
export type { ParameterDefinition, ParameterOptions } from './flow/parameter.js';
export { isFinishedState, isSuccessfulState, serializeError } from './flow/state.js';
export type { FlowStateName, SerializedError, TaskState, TaskStateName } from './flow/state.js';
export { TaskRunner } from './flow/task-runner.js';
export type { TaskRunEnvironment, TaskStateListener } from './flow/task-runner.js';
export { FlowRunner, resolveParameters } from './flow/flow-runner.js';
export type { FlowRunOptions, FlowRunResult, FlowRunnerOptions, TaskRunnerClass } from './flow/flow-runner.js';
export { loadFlow } from './flow/load-flow.js';
export { loadFlowRunnerClass, loadTaskRunnerClass } from './flow/load-runners.js';
export type { FlowRunnerClass } from './flow/load-runners.js';
export { runFlowTask } from './flow/run-flow-task.js';
export type { FlowTaskRequest } from './flow/run-flow-task.js';

export { upstreamStates } from './executor/executor.js';
export type { ExecutionPlan, Executor, PlannedTask, TaskRuntime } from './executor/executor.js';
export { LocalExecutor } from './executor/local-executor.js';
export { LocalParallelExecutor } from './executor/local-parallel-executor.js';
export type { LocalParallelExecutorOptions } from './executor/local-parallel-executor.js';
export { canonicalExecutorSpecifier, executorAliases, loadExecutor } from './executor/load-executor.js';
export { loadModuleExport, parseModuleSpecifier } from './executor/load-module-export.js';
export type { ModuleSpecifier } from './executor/load-module-export.js';

export { hasContainerImage } from './storage/storage.js';
export type { ContainerImageStorage, EnvRunner, Storage } from './storage/storage.js';
export { LocalStorage } from './storage/local-storage.js';
export type { LocalStorageOptions } from './storage/local-storage.js';

export { Environment, ENVIRONMENT_SPECIFICATION_VERSION } from './environment/environment.js';
export type { EnvironmentOptions, ExecuteOptions, RenderedDocument, SerializedEnvironment } from './environment/environment.js';
export { runWithLifecycle } from './environment/run-lifecycle.js';
export type { LifecycleHook, LifecycleHooks } from './environment/run-lifecycle.js';
export { completedRunHandle } from './environment/run-handle.js';
export type { RunHandle, RunOutcome, RunOutcomeState } from './environment/run-handle.js';
export {
  environmentOptionsSchema,
  executorOptionsSchema,
  formatIssues,
  labelsSchema,
  lifecycleHookSchema,
  parseOptions,
} from './environment/parse-options.js';
export { runFlowFromContext } from './environment/run-flow-from-context.js';
export type { RunFlowFromContextOptions } from './environment/run-flow-from-context.js';
export { runLoadedFlow } from './environment/run-loaded-flow.js';
export type { RunLoadedFlowOptions } from './environment/run-loaded-flow.js';
export { runStoredFlow } from './environment/run-stored-flow.js';
export type { RunStoredFlowOptions } from './environment/run-stored-flow.js';

export { environmentVariable, processEnvironment } from './config/process-environment.js';
export { resolveStorageSecrets } from './secrets/resolve-secrets.js';
export type { SecretSource } from './secrets/resolve-secrets.js';

export { environmentSchemas, isEnvironmentType } from './serialization/environment-schema.js';
export type { EnvironmentType, SerializedFields } from './serialization/environment-schema.js';
export { EnvironmentRegistry } from './serialization/environment-registry.js';
export type { DeserializeOptions, SerializableEnvironmentClass } from './serialization/environment-registry.js';

export { createLogger, describeError, maskSecrets, registerSecretValue, setLogLevel, setLogSink } from './logging/logger.js';
export type { LogLevel, LogRecord, LogSink, Logger } from './logging/logger.js';

export { flowenvVersion } from './version.js';

export { Config, defaultConfig, loadConfig } from './config/load-config.js';
export type { LoadConfigOptions } from './config/load-config.js';
export type { ConfigTree, ConfigValue } from './config/config-tree.js';
export { currentRunContext, runContextFromConfig, withRunContext } from './config/context.js';
export type { RunContext } from './config/context.js';
export { isConfigTree } from './config/config-tree.js';
export { formatPythonList, formatPythonLiteral, interpretValue } from './config/interpret-value.js';
export { FLOW_EXECUTE_COMMAND } from './injection/flow-execute-command.js';
export {
  DASK_EXECUTOR_CLASS,
  FLOW_RUNNER_CLASS,
  TASK_RUNNER_CLASS,
  daskExtraLoggers,
  daskSchedulerEnv,
  daskWorkerEnv,
  fargateDefinitionEnv,
  fargateRunOverrideEnv,
  injectionSettingsFromConfig,
  kubernetesJobEnv,
  mergeEnvByName,
  resolveFlowRunId,
  resolveNamespace,
} from './injection/runtime-env.js';
export type {
  AuthTokenSource,
  DaskSchedulerEnvInput,
  DaskTemplateInput,
  DaskWorkerEnvInput,
  EnvVar,
  EnvVarPrecedence,
  FargateDefinitionEnvInput,
  FargateRunOverrideEnvInput,
  FlowContainerInput,
  InjectedEnvVar,
  InjectionSettings,
  KubernetesJobEnvInput,
  RunIdentityInput,
} from './injection/runtime-env.js';
