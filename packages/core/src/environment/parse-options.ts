import { z } from 'zod';
import { FlowenvError } from '../errors/flowenv-error.js';
import type { LifecycleHook } from './run-lifecycle.js';

/**
 * Validates constructor options with a zod schema; the error names the class and the field path
 * ("KubernetesJobEnvironment: invalid options: `executorOptions.address`: expected string").
 */
export function parseOptions<Schema extends z.ZodType>(className: string, schema: Schema, options: unknown): z.output<Schema> {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  throw new FlowenvError({
    code: 'OPTIONS_INVALID',
    message: `${className}: invalid options: ${formatIssues(parsed.error.issues)}`,
    cause: parsed.error,
  });
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => `${issue.path.length > 0 ? `\`${issue.path.map(String).join('.')}\`` : 'options'}: ${issue.message}`)
    .join('; ');
}

/** A zero-argument callback (onStart, onExit). */
export const lifecycleHookSchema = z.custom<LifecycleHook>((value) => typeof value === 'function', {
  message: 'expected a function',
});

/** Labels: any iterable of strings (array or Set); null or absent → none. */
export const labelsSchema = z
  .preprocess((value) => (value instanceof Set ? [...value] : value), z.array(z.string()).nullish())
  .transform((labels) => new Set(labels ?? []));

/** Options every environment accepts. Providers extend this object schema with their own. */
export const environmentOptionsSchema = z.object({
  labels: labelsSchema.optional(),
  onStart: lifecycleHookSchema.nullish(),
  onExit: lifecycleHookSchema.nullish(),
});

/** Options passed to an executor: a JSON-like record. */
export const executorOptionsSchema = z.record(z.string(), z.unknown());
