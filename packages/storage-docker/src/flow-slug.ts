import { createHash } from 'node:crypto';
import { posix } from 'node:path';

/**
 * The file name a flow gets inside the image, as Prefect 0.11 did with python-slugify: accents
 * dropped, lower case, every run of other characters (`?`, `!`, `~`, spaces, …) turned into one
 * `-`, no `-` at either end. A name with no letter or digit at all gets `flow-<hash>`.
 */
export function flowSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug !== '') return slug;
  return `flow-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

/** `<flowsDirectory>/<slug>.mjs`: where the bundle of the flow named `name` lives in the image. */
export function flowLocation(flowsDirectory: string, name: string): string {
  return posix.join(flowsDirectory, `${flowSlug(name)}.mjs`);
}
