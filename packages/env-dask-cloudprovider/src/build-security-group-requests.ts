import type { AuthorizeSecurityGroupIngressCommandInput, CreateSecurityGroupCommandInput } from '@aws-sdk/client-ec2';
import type { ClusterIdentity } from './cluster-identity.js';
import type { EcsClusterSettings } from './ecs-cluster-options.js';
import { capitalizedTags, resourceTags } from './resource-tags.js';

/** The Dask ports: scheduler and dashboard on the scheduler's IP, worker and nanny on each worker's. */
export const DASK_PORTS = { from: 8786, to: 8787 } as const;

/** CreateSecurityGroup for a run without `securityGroups`. Egress stays AWS's default (all), for image pulls. */
export function buildCreateSecurityGroupRequest(identity: ClusterIdentity, settings: EcsClusterSettings, vpcId: string): CreateSecurityGroupCommandInput & { GroupName: string } {
  return {
    GroupName: identity.name,
    Description: `Dask scheduler and workers of flowenv run ${identity.runId}: ports ${DASK_PORTS.from}-${DASK_PORTS.to} from this group only`,
    VpcId: vpcId,
    TagSpecifications: [{ ResourceType: 'security-group', Tags: capitalizedTags(resourceTags(settings.tags, identity.runId)) }],
  };
}

/**
 * The created group's only ingress: TCP 8786-8787 from members of the group itself (scheduler,
 * workers) and from `clientSecurityGroups` (where the flow's process runs). No CIDR range at all:
 * 0.11's dask-cloudprovider opened these ports to 0.0.0.0/0.
 */
export function buildIngressRequest(groupId: string, settings: EcsClusterSettings): AuthorizeSecurityGroupIngressCommandInput {
  return {
    GroupId: groupId,
    IpPermissions: [
      {
        IpProtocol: 'tcp',
        FromPort: DASK_PORTS.from,
        ToPort: DASK_PORTS.to,
        UserIdGroupPairs: [
          { GroupId: groupId, Description: 'Dask scheduler, workers and nannies of this cluster' },
          ...settings.clientSecurityGroups.map((GroupId) => ({ GroupId, Description: 'Dask clients (clientSecurityGroups)' })),
        ],
      },
    ],
  };
}
