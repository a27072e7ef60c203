import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FlowenvError, formatIssues } from '@flowenv/core';
import type { V1Job } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { z } from 'zod';
import { deepFreeze } from './clone-json.js';

/** A Job manifest that passed {@link jobSpecSchema}: what buildJobManifest starts from. */
export type JobSpec = V1Job & { apiVersion: 'batch/v1'; kind: 'Job' };

/** A Job name: a DNS-1123 label, because the Job controller copies it into the pods' `job-name` label (63 characters at most). */
const jobNamePattern = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const dnsLabelPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const stringMap = z.record(z.string(), z.string({ error: 'expected a string (quote numbers and booleans in YAML)' }));

const container = z.looseObject({
  name: z.string().max(63).regex(dnsLabelPattern, 'expected a DNS-1123 label (lower-case letters, digits and -)').optional(),
  image: z.string().optional(),
  command: z.array(z.string()).nullish(),
  args: z.array(z.string()).nullish(),
  env: z.array(z.looseObject({ name: z.string().min(1) })).nullish(),
});

/**
 * The shape a job spec file must have, checked once at construction (0.11 checked nothing and
 * failed at run time with a KeyError, spec §9.6). Only what flowenv reads or writes is checked;
 * everything else is kept as written and left to the API server's validation.
 */
export const jobSpecSchema = z.looseObject({
  apiVersion: z.literal('batch/v1', { error: 'expected "batch/v1"' }),
  kind: z.literal('Job', { error: 'expected "Job"' }),
  metadata: z
    .looseObject({
      name: z.string().max(63, 'a Job name has at most 63 characters').regex(jobNamePattern, 'expected a lower-case DNS name (letters, digits, - and .)').optional(),
      generateName: z.string().min(1).optional(),
      namespace: z.string().max(63).regex(dnsLabelPattern, 'expected a namespace name (lower-case DNS-1123 label)').optional(),
      labels: stringMap.nullish(),
    })
    .nullish(),
  spec: z.looseObject({
    template: z.looseObject({
      metadata: z.looseObject({ labels: stringMap.nullish() }).nullish(),
      spec: z.looseObject({
        containers: z.array(container).min(1, 'a Job needs at least one container'),
        restartPolicy: z.enum(['Never', 'OnFailure'], { error: 'a Job\'s pods restart "Never" or "OnFailure"' }).optional(),
      }),
    }),
  }),
});

/**
 * The Job flowenv submits when no `jobSpecFile` is given: one container named `flow` (its image
 * and command are filled in per run), on the hardening defaults of buildJobManifest. 0.11 had no
 * default and failed at run time without a spec file.
 */
export const DEFAULT_JOB_SPEC: JobSpec = deepFreeze({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'prefect-job' },
  spec: { template: { spec: { containers: [{ name: 'flow' }] } } },
});

/** Checks parsed YAML (or any value) against {@link jobSpecSchema}; the error names `source` and the field paths. */
export function validateJobSpec(value: unknown, source: string): JobSpec {
  const parsed = jobSpecSchema.safeParse(value);
  if (!parsed.success) {
    const what = typeof value === 'object' && value !== null ? 'is not a Kubernetes Job (batch/v1)' : `holds ${JSON.stringify(value)}, not a Kubernetes Job manifest`;
    throw new FlowenvError({
      code: 'OPTIONS_INVALID',
      message: `KubernetesJobEnvironment: \`jobSpecFile\` ${source} ${what}: ${formatIssues(parsed.error.issues)}`,
      cause: parsed.error,
    });
  }
  // The original object, not zod's copy: every field the user wrote stays, in their order.
  return deepFreeze(value as JobSpec);
}

/**
 * Reads, parses and validates a job spec file once (at construction): the path made absolute
 * against `workingDirectory`, the YAML parsed, the result frozen so no run can change it (0.11
 * amended its parsed spec in place, spec §9.5). Missing files, YAML errors and wrong shapes are
 * OPTIONS_INVALID errors that name the file.
 */
export function loadJobSpec(file: string, workingDirectory: string = process.cwd()): { path: string; spec: JobSpec } {
  const path = resolve(workingDirectory, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FlowenvError({
      code: 'OPTIONS_INVALID',
      message: `KubernetesJobEnvironment: cannot read \`jobSpecFile\` ${path}: ${(error as Error).message}`,
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new FlowenvError({
      code: 'OPTIONS_INVALID',
      message: `KubernetesJobEnvironment: \`jobSpecFile\` ${path} is not valid YAML: ${(error as Error).message}`,
      cause: error,
    });
  }
  return { path, spec: validateJobSpec(value, path) };
}
