import type { CreateLogGroupCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import type { ClusterIdentity } from './cluster-identity.js';
import type { EcsClusterSettings } from './ecs-cluster-options.js';
import { resourceTags } from './resource-tags.js';

/** The log group a run without `logGroupName` creates: `/flowenv/dask/<cluster name>`. */
export function buildCreateLogGroupRequest(identity: ClusterIdentity, settings: EcsClusterSettings): CreateLogGroupCommandInput & { logGroupName: string } {
  return { logGroupName: `/flowenv/dask/${identity.name}`, tags: resourceTags(settings.tags, identity.runId) };
}
