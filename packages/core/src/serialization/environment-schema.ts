import { z } from 'zod';

/**
 * The JSON form of each environment type (Prefect 0.11 schema table, spec §5.2). Field names stay
 * snake_case so 0.11 payloads load unchanged. Only these fields are serialized: never
 * credentials, spec-file contents or hooks. Unknown keys are dropped on load.
 */
const labels = z.array(z.string()).default([]);
const count = z.number().int().nonnegative();

export const environmentSchemas = {
  Environment: z.object({ labels }),
  LocalEnvironment: z.object({ labels }),
  RemoteEnvironment: z.object({
    labels,
    executor: z.string().nullish(),
    executor_kwargs: z.record(z.string(), z.unknown()).nullish(),
  }),
  RemoteDaskEnvironment: z.object({ labels, address: z.string() }),
  KubernetesJobEnvironment: z.object({ labels }),
  DaskKubernetesEnvironment: z.object({
    labels,
    docker_secret: z.string().nullish(),
    private_registry: z.boolean().default(false),
    min_workers: count.default(1),
    max_workers: count.default(2),
  }),
  FargateTaskEnvironment: z.object({ labels }),
  DaskCloudProviderEnvironment: z.object({
    labels,
    provider: z.string().nullish(),
    adaptive_min_workers: count.nullish(),
    adaptive_max_workers: count.nullish(),
  }),
  /** Any other class: loads as a base Environment with its labels (0.11 behaviour). */
  CustomEnvironment: z.object({ labels, custom_type: z.string().optional() }),
} as const;

export type EnvironmentType = keyof typeof environmentSchemas;

export type SerializedFields<Type extends EnvironmentType> = z.output<(typeof environmentSchemas)[Type]>;

export function isEnvironmentType(type: string): type is EnvironmentType {
  return Object.hasOwn(environmentSchemas, type);
}
