import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlowenvError, formatIssues } from '@flowenv/core';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { z } from 'zod';
import { deepFreeze } from './clone-json.js';
import { EMBEDDED_SCHEDULER_JOB_YAML, EMBEDDED_WORKER_POD_YAML } from './embedded-manifests.js';

/** A scheduler Job manifest that passed {@link schedulerSpecSchema}. */
export type SchedulerSpec = V1Job & { apiVersion: 'batch/v1'; kind: 'Job' };
/** A worker Pod manifest that passed {@link workerSpecSchema}. */
export type WorkerSpec = V1Pod & { kind: 'Pod' };

const dnsLabelPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const stringMap = z.record(z.string(), z.string({ error: 'expected a string (quote numbers and booleans in YAML)' }));
const metadata = z
  .looseObject({
    name: z.string().max(63).optional(),
    namespace: z.string().max(63).regex(dnsLabelPattern, 'expected a namespace name (lower-case DNS-1123 label)').optional(),
    labels: stringMap.nullish(),
  })
  .nullish();
const container = z.looseObject({
  name: z.string().max(63).regex(dnsLabelPattern, 'expected a DNS-1123 label (lower-case letters, digits and -)').optional(),
  image: z.string().optional(),
  command: z.array(z.string()).nullish(),
  args: z.array(z.string()).nullish(),
  env: z.array(z.looseObject({ name: z.string().min(1) })).nullish(),
});
const podSpec = z.looseObject({
  containers: z.array(container).min(1, 'at least one container is needed'),
  imagePullSecrets: z.array(z.looseObject({ name: z.string().min(1) })).nullish(),
});

/**
 * The shape of a scheduler spec file, checked at construction (0.11 checked nothing and failed with
 * a KeyError at run time when a label map or env list was missing, spec §9.4). Missing maps and
 * lists are created by the builders; everything else is left to the API server.
 */
export const schedulerSpecSchema = z.looseObject({
  apiVersion: z.literal('batch/v1', { error: 'expected "batch/v1"' }),
  kind: z.literal('Job', { error: 'expected "Job"' }),
  metadata,
  spec: z.looseObject({
    template: z.looseObject({
      metadata: z.looseObject({ labels: stringMap.nullish() }).nullish(),
      spec: podSpec.extend({ restartPolicy: z.enum(['Never', 'OnFailure'], { error: 'a Job\'s pods restart "Never" or "OnFailure"' }).optional() }),
    }),
  }),
});

/** The shape of a worker spec file (0.11's packaged one has no apiVersion; "v1" is the only one allowed). */
export const workerSpecSchema = z.looseObject({
  apiVersion: z.literal('v1', { error: 'expected "v1"' }).optional(),
  kind: z.literal('Pod', { error: 'expected "Pod"' }),
  metadata,
  spec: podSpec,
});

export type SpecKind = 'scheduler' | 'worker';
const optionName: Record<SpecKind, string> = { scheduler: 'schedulerSpecFile', worker: 'workerSpecFile' };
const kindName: Record<SpecKind, string> = { scheduler: 'a Kubernetes Job (batch/v1)', worker: 'a Kubernetes Pod (v1)' };

/** Checks parsed YAML against the schema of `kind`; the error names `source` and the field paths. */
export function validateDaskSpec(kind: 'scheduler', value: unknown, source: string): SchedulerSpec;
export function validateDaskSpec(kind: 'worker', value: unknown, source: string): WorkerSpec;
export function validateDaskSpec(kind: SpecKind, value: unknown, source: string): SchedulerSpec | WorkerSpec {
  const parsed = (kind === 'scheduler' ? schedulerSpecSchema : workerSpecSchema).safeParse(value);
  if (!parsed.success) {
    throw new FlowenvError({
      code: 'OPTIONS_INVALID',
      message: `DaskKubernetesEnvironment: \`${optionName[kind]}\` ${source} is not ${kindName[kind]}: ${formatIssues(parsed.error.issues)}`,
      cause: parsed.error,
    });
  }
  // The original object, not zod's copy: every field the user wrote stays, in their order.
  return deepFreeze(value as SchedulerSpec | WorkerSpec);
}

/**
 * Reads, parses and checks a spec file, frozen so no run can change it (0.11 amended its parsed
 * specs in place, spec §9.5). An unreadable file, invalid YAML or a wrong shape is OPTIONS_INVALID,
 * naming the file; an absent file keeps its ENOENT `cause` so the environment can report it later.
 */
export function loadDaskSpec(kind: 'scheduler', file: string): SchedulerSpec;
export function loadDaskSpec(kind: 'worker', file: string): WorkerSpec;
export function loadDaskSpec(kind: SpecKind, file: string): SchedulerSpec | WorkerSpec {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FlowenvError({ code: 'OPTIONS_INVALID', message: `DaskKubernetesEnvironment: cannot read \`${optionName[kind]}\` ${path}: ${(error as Error).message}`, cause: error });
  }
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new FlowenvError({ code: 'OPTIONS_INVALID', message: `DaskKubernetesEnvironment: \`${optionName[kind]}\` ${path} is not valid YAML: ${(error as Error).message}`, cause: error });
  }
  return kind === 'scheduler' ? validateDaskSpec('scheduler', value, path) : validateDaskSpec('worker', value, path);
}

/** The packaged manifests, next to this module's folder (src/ or dist/) in `manifests/`. */
export const DEFAULT_SPEC_FILES = {
  scheduler: fileURLToPath(new URL('../manifests/scheduler-job.yaml', import.meta.url)),
  worker: fileURLToPath(new URL('../manifests/worker-pod.yaml', import.meta.url)),
} as const;

let defaultScheduler: SchedulerSpec | undefined;
let defaultWorker: WorkerSpec | undefined;

/** The packaged scheduler Job (read on first use, then cached). */
export function defaultSchedulerSpec(): SchedulerSpec {
  defaultScheduler ??= validateDaskSpec('scheduler', parse(packagedText(DEFAULT_SPEC_FILES.scheduler, EMBEDDED_SCHEDULER_JOB_YAML)), DEFAULT_SPEC_FILES.scheduler);
  return defaultScheduler;
}

/** The packaged worker Pod (read on first use, then cached). */
export function defaultWorkerSpec(): WorkerSpec {
  defaultWorker ??= validateDaskSpec('worker', parse(packagedText(DEFAULT_SPEC_FILES.worker, EMBEDDED_WORKER_POD_YAML)), DEFAULT_SPEC_FILES.worker);
  return defaultWorker;
}

/** The packaged file; inside a bundled flow image, where it is not next to the module, its embedded copy. */
function packagedText(path: string, embedded: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return embedded;
  }
}
