import type { V1ObjectMeta } from '@kubernetes/client-node';

/** The name of a Job whose spec names none (and has no `generateName`). */
export const DEFAULT_JOB_NAME = 'prefect-job';

/** Longest Job name: the Job controller copies it into the pods' `job-name` label (63 characters at most). */
const maxJobNameLength = 63;
/** `-` and 8 characters of the identifier. */
const suffixLength = 9;

/**
 * The name fields of the Job a run submits (0.11 `unique_job_name`, spec 2.4 step 3):
 * - the spec's `metadata.name` (default {@link DEFAULT_JOB_NAME}), with `-<first 8 characters of
 *   the run identifier>` appended when `unique` (0.11 appended 8 characters of a fresh UUID; the
 *   identifier is one, and the suffix then also says which run the Job belongs to). A long name is
 *   cut so that the result stays within 63 characters.
 * - a spec with `metadata.generateName` and no name keeps it: the API server picks a unique name.
 */
export function jobNameFields(metadata: V1ObjectMeta | null | undefined, unique: boolean, identifier: string): { name: string } | { generateName: string } {
  const name = metadata?.name;
  if ((name === undefined || name === '') && metadata?.generateName) return { generateName: metadata.generateName };
  const base = name === undefined || name === '' ? DEFAULT_JOB_NAME : name;
  if (!unique) return { name: base };
  // A DNS name segment may not end in `-` or `.`: trim what the cut leaves there.
  const trimmed = base.slice(0, maxJobNameLength - suffixLength).replace(/[-.]+$/, '');
  return { name: `${trimmed}-${identifier.slice(0, suffixLength - 1)}` };
}
