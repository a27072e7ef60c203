import type { ContainerDefinition, ContainerOverride } from '@aws-sdk/client-ecs';
import { FlowenvError } from '@flowenv/core';

/** What `docker run` needs to start a container the way ECS would. */
export interface DockerRunSpec {
  image: string;
  /** The definition's `entryPoint`; undefined keeps the image's. */
  entrypoint?: string[];
  /** The override's `command`, else the definition's (`flowenv execute` for the flow container). */
  command: string[];
  /** Definition environment, then its secrets, then the override's environment (later names win, as in ECS). */
  env: Record<string, string>;
  workingDirectory?: string;
  user?: string;
}

/**
 * Turns a registered container definition and the run's container override into a Docker run
 * spec, so a test can run exactly what an ECS task would run ("run the spec"). ECS resolves
 * `secrets` itself; here their values come from `secretValues`, keyed by variable name or by ARN.
 */
export function buildDockerRunSpec(
  container: ContainerDefinition,
  override?: ContainerOverride,
  options: { secretValues?: Readonly<Record<string, string>> } = {},
): DockerRunSpec {
  if (container.image === undefined || container.image === '') {
    throw new FlowenvError({ code: 'OPTIONS_INVALID', message: `Container definition ${container.name ?? '(unnamed)'} has no image` });
  }
  if (override?.name !== undefined && override.name !== container.name) {
    throw new FlowenvError({
      code: 'OPTIONS_INVALID',
      message: `The override is for container ${override.name}, not ${container.name ?? '(unnamed)'}`,
    });
  }
  const env: Record<string, string> = {};
  for (const variable of container.environment ?? []) {
    if (variable.name !== undefined) env[variable.name] = variable.value ?? '';
  }
  for (const { name, valueFrom } of container.secrets ?? []) {
    if (name === undefined) continue;
    const value = options.secretValues?.[name] ?? (valueFrom === undefined ? undefined : options.secretValues?.[valueFrom]);
    if (value === undefined) {
      throw new FlowenvError({
        code: 'SECRET_NOT_FOUND',
        message: `Container secret ${name} (valueFrom ${valueFrom ?? '?'}) has no value here: pass it in secretValues`,
      });
    }
    env[name] = value;
  }
  for (const variable of override?.environment ?? []) {
    if (variable.name !== undefined) env[variable.name] = variable.value ?? '';
  }
  return {
    image: container.image,
    ...(container.entryPoint === undefined ? {} : { entrypoint: [...container.entryPoint] }),
    command: [...(override?.command ?? container.command ?? [])],
    env,
    ...(container.workingDirectory === undefined ? {} : { workingDirectory: container.workingDirectory }),
    ...(container.user === undefined ? {} : { user: container.user }),
  };
}
