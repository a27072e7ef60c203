// The public API of @flowenv/env-fargate. Explicit named exports only; types with `export type`.

export { FargateTaskEnvironment } from './fargate-task-environment.js';
export type { FargateTaskEnvironmentOptions } from './fargate-options.js';
export { buildTaskDefinition, AUTH_TOKEN_VARIABLE } from './build-task-definition.js';
export type { TaskDefinitionInput } from './build-task-definition.js';
export { buildRunTaskRequest, clientTokenFor, PARAMETERS_VARIABLE } from './build-run-task-request.js';
export type { RunTaskInput } from './build-run-task-request.js';
export { splitEcsOptions, RUN_TASK_KEYS, TASK_DEFINITION_KEYS } from './split-ecs-options.js';
export type { CapacityProviderStrategy, EcsOptions, EcsRunTaskOptions, EcsTaskDefinitionOptions } from './split-ecs-options.js';
export { normalizeTaskDefinition, taskDefinitionsEqual, POST_REGISTRATION_FIELDS } from './normalize-task-definition.js';
export {
  cachedTaskDefinitionArn,
  clearTaskDefinitionCache,
  createTaskDefinitionCache,
  ensureTaskDefinition,
  isMissingTaskDefinition,
} from './ensure-task-definition.js';
export type { EnsureTaskDefinitionOptions, EnsureTaskDefinitionResult, TaskDefinitionCache } from './ensure-task-definition.js';
export { awsLogsLocation, createTaskHandle, taskOutcome } from './watch-task.js';
export type { AwsLogsLocation, TaskHandleInput } from './watch-task.js';
export { isThrottlingError, mapAwsError } from './map-aws-error.js';
export type { AwsCallContext } from './map-aws-error.js';
export { createAwsClients } from './aws-clients.js';
export type { AwsClientSettings, AwsClients } from './aws-clients.js';
export { FLOW_CONTAINER_COMMAND, FLOW_CONTAINER_NAME } from './flow-container.js';
export { buildDockerRunSpec } from './build-docker-run-spec.js';
export type { DockerRunSpec } from './build-docker-run-spec.js';
