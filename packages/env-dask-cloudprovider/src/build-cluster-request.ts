import type { CreateClusterCommandInput } from '@aws-sdk/client-ecs';
import type { ClusterIdentity } from './cluster-identity.js';
import type { EcsClusterSettings } from './ecs-cluster-options.js';
import { ecsTags, resourceTags } from './resource-tags.js';

/** CreateCluster for a run without `clusterArn`. */
export function buildCreateClusterRequest(identity: ClusterIdentity, settings: EcsClusterSettings): CreateClusterCommandInput {
  return { clusterName: identity.name, tags: ecsTags(resourceTags(settings.tags, identity.runId)) };
}
