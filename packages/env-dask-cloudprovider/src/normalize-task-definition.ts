// Copied from @flowenv/env-fargate (providers do not import each other; STYLE.md).
import { createHash } from 'node:crypto';

/** Fields ECS adds when it registers a definition; never part of its content. */
export const POST_REGISTRATION_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Container lists whose order means nothing to ECS: sorted by name before comparing. */
const unorderedContainerLists = ['environment', 'secrets'] as const;

/**
 * The content of a task definition in a canonical form, so that what setup wants and what
 * DescribeTaskDefinition returns compare equal when ECS would run the same thing (the classic
 * "always changed" trap, prefect-aws#180): the fields ECS adds are dropped, the defaults it fills
 * in are applied to both sides, `"1 vCPU"` / `"1 GB"` become units, environment / secrets / tags
 * are sorted, empty values are dropped and keys are sorted.
 *
 * `tags` come from DescribeTaskDefinition's separate `tags` field (with `include: ["TAGS"]`).
 */
export function normalizeTaskDefinition(definition: object, tags?: readonly object[]): JsonObject {
  const copy = JSON.parse(JSON.stringify(definition)) as JsonObject;
  for (const field of POST_REGISTRATION_FIELDS) delete copy[field];
  if (tags !== undefined) copy['tags'] = JSON.parse(JSON.stringify(tags)) as Json;

  const networkMode = typeof copy['networkMode'] === 'string' ? copy['networkMode'] : 'bridge';
  copy['networkMode'] = networkMode;
  if (copy['cpu'] !== undefined) copy['cpu'] = taskUnits(copy['cpu'], 'vcpu');
  if (copy['memory'] !== undefined) copy['memory'] = taskUnits(copy['memory'], 'gb');
  if (Array.isArray(copy['requiresCompatibilities'])) copy['requiresCompatibilities'] = [...copy['requiresCompatibilities']].map(String).sort();
  if (Array.isArray(copy['tags'])) copy['tags'] = sortedBy(copy['tags'], 'key');
  if (Array.isArray(copy['containerDefinitions'])) {
    copy['containerDefinitions'] = copy['containerDefinitions'].map((container) => normalizeContainer(container, networkMode));
  }
  return (canonical(copy) as JsonObject | undefined) ?? {};
}

/** True when two definitions (request or described) have the same content. */
export function taskDefinitionsEqual(left: object, right: object): boolean {
  return JSON.stringify(normalizeTaskDefinition(left)) === JSON.stringify(normalizeTaskDefinition(right));
}

/** A short, stable hash of a normalized definition (sha256 of its canonical JSON). */
export function contentHash(normalized: JsonObject): string {
  return createHash('sha256').update(JSON.stringify(normalized)).digest('hex');
}

/** The paths where two normalized definitions differ (at most `limit`), for "registering because …" logs. */
export function differingPaths(left: Json | undefined, right: Json | undefined, limit = 10, path = ''): string[] {
  if (JSON.stringify(left) === JSON.stringify(right)) return [];
  const bothObjects = isObject(left) && isObject(right);
  const bothArrays = Array.isArray(left) && Array.isArray(right) && left.length === right.length;
  if (!bothObjects && !bothArrays) return [path === '' ? '(root)' : path];
  const keys = bothArrays
    ? [...(left as Json[]).keys()].map(String)
    : [...new Set([...Object.keys(left as JsonObject), ...Object.keys(right as JsonObject)])].sort();
  const paths: string[] = [];
  for (const key of keys) {
    const child = (value: Json | undefined): Json | undefined => (value as Record<string, Json>)[key];
    paths.push(...differingPaths(child(left), child(right), limit - paths.length, path === '' ? key : `${path}.${key}`));
    if (paths.length >= limit) break;
  }
  return paths.slice(0, limit);
}

function normalizeContainer(container: Json, networkMode: string): Json {
  if (!isObject(container)) return container;
  const copy: JsonObject = { ...container };
  // ECS marks a container essential unless told otherwise, and reports cpu 0 for "no reservation".
  copy['essential'] = copy['essential'] ?? true;
  if (copy['cpu'] === 0) delete copy['cpu'];
  for (const field of unorderedContainerLists) {
    const list = copy[field];
    if (Array.isArray(list)) copy[field] = sortedBy(list, 'name');
  }
  const ports = copy['portMappings'];
  if (Array.isArray(ports)) {
    copy['portMappings'] = ports.map((mapping) => {
      if (!isObject(mapping)) return mapping;
      const filled: JsonObject = { protocol: 'tcp', ...mapping };
      // In awsvpc mode ECS sets hostPort to containerPort.
      if (networkMode === 'awsvpc' && filled['hostPort'] === undefined && filled['containerPort'] !== undefined) filled['hostPort'] = filled['containerPort'];
      return filled;
    });
  }
  return copy;
}

function sortedBy(list: readonly Json[], key: string): Json[] {
  const keyOf = (entry: Json): string => (isObject(entry) ? String(entry[key] ?? '') : '');
  return [...list].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

/** "1 vCPU" → "1024", "0.5 GB" → "512", 256 → "256". */
function taskUnits(value: Json, unit: 'vcpu' | 'gb'): Json {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(vcpu|gb)\s*$/i.exec(value);
  if (match?.[1] !== undefined && match[2]?.toLowerCase() === unit) return String(Math.round(Number(match[1]) * 1024));
  return value.trim();
}

/** Drops null, empty lists and empty objects (recursively) and sorts object keys. */
function canonical(value: Json): Json | undefined {
  if (value === null) return undefined;
  if (Array.isArray(value)) {
    const items = value.map(canonical).filter((item): item is Json => item !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (isObject(value)) {
    const result: JsonObject = {};
    for (const key of Object.keys(value).sort()) {
      const item = canonical(value[key] as Json);
      if (item !== undefined) result[key] = item;
    }
    return Object.keys(result).length === 0 ? undefined : result;
  }
  return value;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
