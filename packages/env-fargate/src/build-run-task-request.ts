import { createHash } from 'node:crypto';
import type { KeyValuePair, RunTaskCommandInput } from '@aws-sdk/client-ecs';
import { fargateRunOverrideEnv, FlowenvError, formatPythonLiteral, mergeEnvByName, type ConfigValue } from '@flowenv/core';
import { AUTH_TOKEN_VARIABLE } from './build-task-definition.js';
import { cloneJson } from './clone-json.js';
import { FLOW_CONTAINER_NAME } from './flow-container.js';
import { RUN_TASK_KEYS, type CapacityProviderStrategy, type EcsRunTaskOptions } from './split-ecs-options.js';

/** The variable that carries `execute`'s parameters into the task (read back as `context.parameters`). */
export const PARAMETERS_VARIABLE = 'PREFECT__CONTEXT__PARAMETERS';

/** What the RunTask request needs besides the user's run options. */
export interface RunTaskInput {
  /** The task definition family: `taskDefinition` defaults to it. */
  family?: string | undefined;
  /** The revision setup found or registered (its ARN): run instead of the family's latest, unless `taskDefinition` names another one. */
  taskDefinitionArn?: string | undefined;
  launchType: 'FARGATE' | 'EC2';
  /** When given, sent instead of `launchType`. */
  capacityProviderStrategy?: CapacityProviderStrategy | undefined;
  /** PREFECT__CONTEXT__IMAGE: the storage's image. */
  image: string;
  /** PREFECT__CONTEXT__FLOW_FILE_PATH: the flow module inside the image. */
  flowFilePath: string;
  /** PREFECT__CONTEXT__FLOW_RUN_ID ("unknown" when missing); also the source of `clientToken`. */
  flowRunId?: string | undefined;
  /** `cloud.auth_token`; "" when unset. */
  authToken: string;
  /** `cloud.agent.auth_token`, preferred when non-empty (as in 0.11); "" when unset. */
  agentAuthToken: string;
  /** The token's secret ARN: then the token is in the task definition's `secrets`, not in the overrides. */
  authTokenSecretArn?: string | undefined;
  /** Parameter values for the run, sent as PREFECT__CONTEXT__PARAMETERS when there are any. */
  parameters?: Record<string, unknown> | undefined;
}

/**
 * The RunTask request execute sends (spec 3.3), as a pure function: the user's run options, the
 * task definition (`taskDefinition` option, else the revision setup resolved, else `family`), the
 * launch type or capacity provider strategy, and the `flow-container` overrides — PREFECT__CLOUD__AUTH_TOKEN,
 * PREFECT__CONTEXT__FLOW_RUN_ID, PREFECT__CONTEXT__IMAGE, PREFECT__CONTEXT__FLOW_FILE_PATH in 0.11's
 * order (core's `fargateRunOverrideEnv`). The token is never a plain value here: with
 * `authTokenSecretArn` it comes from the definition's `secrets`; a configured token without that
 * ARN is refused. `clientToken` is derived from the flow run id, so a retried call with the same
 * run id starts no second task (ECS keeps tokens for 24 hours, per cluster).
 */
export function buildRunTaskRequest(options: EcsRunTaskOptions, input: RunTaskInput): RunTaskCommandInput {
  // 0.11 users set taskDefinition to the family by hand: that too may be pinned to the resolved revision.
  const followsFamily = options.taskDefinition === undefined || options.taskDefinition === input.family;
  const taskDefinition = followsFamily ? (input.taskDefinitionArn ?? input.family) : options.taskDefinition;
  if (taskDefinition === undefined || taskDefinition === '') {
    throw new FlowenvError({
      code: 'OPTIONS_INVALID',
      message: 'FargateTaskEnvironment needs `family` (or `taskDefinition`): the task definition to run',
    });
  }
  const configuredToken = input.agentAuthToken !== '' ? input.agentAuthToken : input.authToken;
  if (input.authTokenSecretArn === undefined && configuredToken !== '') {
    throw new FlowenvError({
      code: 'OPTIONS_INVALID',
      message:
        'FargateTaskEnvironment does not put the API token (cloud.auth_token / cloud.agent.auth_token) into ECS requests as plain text: ' +
        'store it in AWS Secrets Manager or SSM Parameter Store and pass its ARN as `authTokenSecretArn` (the `executionRoleArn` role must be allowed to read it)',
    });
  }

  const injected = fargateRunOverrideEnv({
    authToken: input.authTokenSecretArn === undefined ? { value: '' } : { valueFrom: input.authTokenSecretArn },
    flowRunId: input.flowRunId,
    image: input.image,
    flowFilePath: input.flowFilePath,
  }).filter((variable) => !(variable.name === AUTH_TOKEN_VARIABLE && variable.valueFrom !== undefined));
  const parameters = input.parameters !== undefined && Object.keys(input.parameters).length > 0
    ? [{ name: PARAMETERS_VARIABLE, value: formatParameters(input.parameters), precedence: 'run-identity' as const }]
    : [];
  const environment = mergeEnvByName([], [...injected, ...parameters]) as KeyValuePair[];

  const request: Record<string, unknown> = {};
  for (const key of RUN_TASK_KEYS) {
    if (key === 'taskDefinition') request[key] = taskDefinition;
    else if (options[key] !== undefined) request[key] = cloneJson(options[key]);
  }
  if (input.capacityProviderStrategy !== undefined) request['capacityProviderStrategy'] = cloneJson(input.capacityProviderStrategy);
  else request['launchType'] = input.launchType;
  request['overrides'] = { containerOverrides: [{ name: FLOW_CONTAINER_NAME, environment }] };
  if (input.flowRunId !== undefined && input.flowRunId !== '') request['clientToken'] = clientTokenFor(input.flowRunId);
  return request as unknown as RunTaskCommandInput;
}

/**
 * The RunTask `clientToken` of a flow run: at most 64 ASCII characters, the same for every call
 * with that run id. Runs without an id get none (a shared "unknown" token would let only the first
 * of them start).
 */
export function clientTokenFor(flowRunId: string): string {
  return `flowenv-${createHash('sha256').update(flowRunId).digest('hex').slice(0, 56)}`;
}

function formatParameters(parameters: Record<string, unknown>): string {
  let json: ConfigValue;
  try {
    json = JSON.parse(JSON.stringify(parameters)) as ConfigValue;
  } catch (error) {
    throw new FlowenvError({ code: 'OPTIONS_INVALID', message: 'FargateTaskEnvironment sends parameters to the task as text: pass only JSON values', cause: error });
  }
  return formatPythonLiteral(json);
}
