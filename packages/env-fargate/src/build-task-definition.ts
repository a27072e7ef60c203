import type { ContainerDefinition, KeyValuePair, RegisterTaskDefinitionCommandInput, Secret } from '@aws-sdk/client-ecs';
import { fargateDefinitionEnv, FlowenvError, mergeEnvByName, type EnvVar } from '@flowenv/core';
import { cloneJson } from './clone-json.js';
import { FLOW_CONTAINER_COMMAND, FLOW_CONTAINER_NAME } from './flow-container.js';
import { TASK_DEFINITION_KEYS, type EcsTaskDefinitionOptions } from './split-ecs-options.js';

/** The variable that carries the API token into the flow container. */
export const AUTH_TOKEN_VARIABLE = 'PREFECT__CLOUD__AUTH_TOKEN';

/** What the task definition needs besides the user's options. */
export interface TaskDefinitionInput {
  /** The storage's full image name: the flow container's image. */
  image: string;
  /** `cloud.graphql` (PREFECT__CLOUD__GRAPHQL). */
  graphqlUrl: string;
  /** `logging.extra_loggers` (PREFECT__LOGGING__EXTRA_LOGGERS, sent in Python list form). */
  extraLoggers: readonly string[];
  /** When given, the flow container reads PREFECT__CLOUD__AUTH_TOKEN from this secret (`secrets[].valueFrom`). */
  authTokenSecretArn?: string | undefined;
}

/**
 * The RegisterTaskDefinition request setup wants to exist (spec 3.2, 6.4), as a pure function of
 * the options: the user's definition (never changed in place), with
 *
 * - `containerDefinitions` defaulting to `[{}]`;
 * - the 6 definition variables of core's `fargateDefinitionEnv` merged **by name** into every
 *   container (run identity wins over a user entry of the same name; the user's configuration
 *   values win over our defaults — 0.11 appended blindly);
 * - the first container named `flow-container`, with the storage's image and the `flowenv execute`
 *   command (0.11 replaced the name and command the same way: run overrides target that name);
 * - with `authTokenSecretArn`, PREFECT__CLOUD__AUTH_TOKEN in the flow container's `secrets`.
 *
 * Nothing run-specific goes here, so one definition serves every run until its content changes.
 */
export function buildTaskDefinition(options: EcsTaskDefinitionOptions, input: TaskDefinitionInput): RegisterTaskDefinitionCommandInput {
  const family = options.family;
  if (family === undefined || family === '') {
    throw new FlowenvError({
      code: 'OPTIONS_INVALID',
      message: 'FargateTaskEnvironment needs `family`: the task definition family it registers and reuses (e.g. `family: "my-flow"`)',
    });
  }
  const injected = fargateDefinitionEnv({ graphqlUrl: input.graphqlUrl, extraLoggers: input.extraLoggers });
  const userContainers = options.containerDefinitions !== undefined && options.containerDefinitions.length > 0 ? options.containerDefinitions : [{}];
  const containerDefinitions = userContainers.map((container, index): ContainerDefinition => {
    const copy = cloneJson(container);
    const environment = mergeEnvByName(namedEntries(copy.environment), injected) as KeyValuePair[];
    if (index > 0) return { ...copy, environment };
    const flowContainer: ContainerDefinition = {
      ...copy,
      name: FLOW_CONTAINER_NAME,
      image: input.image,
      command: [...FLOW_CONTAINER_COMMAND],
      environment,
    };
    if (input.authTokenSecretArn === undefined) return flowContainer;
    // The token travels as a reference only: no plain entry of that name may stay beside it.
    flowContainer.environment = environment.filter((variable) => variable.name !== AUTH_TOKEN_VARIABLE);
    flowContainer.secrets = mergeEnvByName(namedEntries(copy.secrets), [
      { name: AUTH_TOKEN_VARIABLE, valueFrom: input.authTokenSecretArn, precedence: 'run-identity' },
    ]) as Secret[];
    return flowContainer;
  });

  const request: Record<string, unknown> = {};
  for (const key of TASK_DEFINITION_KEYS) {
    if (key === 'containerDefinitions') request[key] = containerDefinitions;
    else if (options[key] !== undefined) request[key] = cloneJson(options[key]);
  }
  return request as unknown as RegisterTaskDefinitionCommandInput;
}

/** A container's environment or secrets as core's EnvVar list (entries without a name cannot be merged and are kept out). */
function namedEntries(entries: readonly { name?: string | undefined }[] | null | undefined): EnvVar[] {
  return (entries ?? []).filter((entry): entry is EnvVar => typeof entry.name === 'string');
}
