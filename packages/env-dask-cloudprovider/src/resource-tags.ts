import { MANAGED_BY, MANAGED_BY_TAG, RUN_TAG } from './ecs-cluster-options.js';

/**
 * The tags of one kind of resource: the user's, then flowenv's (which win). Run-scoped resources
 * carry `flowenv:run=<run id>`, so whatever a run left behind can be found and counted; shared
 * ones (task definitions reused by content) do not, or their content would change every run.
 */
export function resourceTags(userTags: Readonly<Record<string, string>>, runId: string | undefined): Record<string, string> {
  return { ...userTags, [MANAGED_BY_TAG]: MANAGED_BY, ...(runId === undefined ? {} : { [RUN_TAG]: runId }) };
}

/** ECS: `[{ key, value }]`. */
export function ecsTags(tags: Readonly<Record<string, string>>): { key: string; value: string }[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

/** EC2 and IAM: `[{ Key, Value }]`. */
export function capitalizedTags(tags: Readonly<Record<string, string>>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}
