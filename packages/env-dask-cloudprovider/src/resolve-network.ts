import { DescribeSubnetsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { FlowenvError } from '@flowenv/core';
import type { AwsClients } from './aws-clients.js';
import type { EcsClusterSettings } from './ecs-cluster-options.js';
import { mapAwsError, type AwsCallContext } from './map-aws-error.js';
import { retryThrottled } from './retry-throttled.js';

export interface ResolvedNetwork {
  /** Undefined when `securityGroups` were given and no VPC is needed. */
  vpcId: string | undefined;
  subnets: string[];
}

/**
 * The VPC and subnets of the tasks, as dask-cloudprovider chooses them: the given subnets (their
 * VPC when a security group has to be created), else every subnet of `vpc`, else of the region's
 * default VPC. No EC2 call when both subnets and security groups are given.
 */
export async function resolveNetwork(clients: Pick<AwsClients, 'ec2'>, settings: EcsClusterSettings, callContext: Omit<AwsCallContext, 'action'>): Promise<ResolvedNetwork> {
  const needVpc = settings.securityGroups === undefined;
  const send = <T>(action: string, call: () => Promise<T>): Promise<T> =>
    retryThrottled(call).catch((error: unknown) => {
      throw mapAwsError(error, { action, ...callContext });
    });

  if (settings.subnets !== undefined) {
    if (!needVpc || settings.vpc !== undefined) return { vpcId: settings.vpc, subnets: [...settings.subnets] };
    const { Subnets = [] } = await send('ec2:DescribeSubnets', () => clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [settings.subnets?.[0] as string] })));
    const vpcId = Subnets[0]?.VpcId;
    if (vpcId === undefined) throw invalid(`subnet ${settings.subnets[0]} was not found: check \`subnets\` and the region`);
    return { vpcId, subnets: [...settings.subnets] };
  }

  let vpcId = settings.vpc;
  if (vpcId === undefined) {
    const { Vpcs = [] } = await send('ec2:DescribeVpcs', () => clients.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'isDefault', Values: ['true'] }] })));
    vpcId = Vpcs[0]?.VpcId;
    if (vpcId === undefined) throw invalid('this region has no default VPC: pass `vpc` and `subnets` (private subnets with a NAT gateway or VPC endpoints for ECR, CloudWatch Logs and Secrets Manager)');
  }
  const { Subnets = [] } = await send('ec2:DescribeSubnets', () => clients.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId as string] }] })));
  const subnets = Subnets.map((subnet) => subnet.SubnetId).filter((id): id is string => id !== undefined).sort();
  if (subnets.length === 0) throw invalid(`VPC ${vpcId} has no subnets: pass \`subnets\``);
  return { vpcId, subnets };
}

function invalid(message: string): FlowenvError {
  return new FlowenvError({ code: 'OPTIONS_INVALID', message: `DaskCloudProviderEnvironment: ${message}` });
}
