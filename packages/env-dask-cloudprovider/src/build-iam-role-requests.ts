import type { AttachRolePolicyCommandInput, CreateRoleCommandInput, PutRolePolicyCommandInput } from '@aws-sdk/client-iam';
import type { ClusterIdentity } from './cluster-identity.js';
import type { EcsClusterSettings } from './ecs-cluster-options.js';
import { capitalizedTags, resourceTags } from './resource-tags.js';

/** Where the IAM roles created for runs live (`ListRoles --path-prefix /flowenv/dask/` finds them all). */
export const ROLE_PATH = '/flowenv/dask/';

/** The inline policy name of the execution role created for a run. */
export const EXECUTION_POLICY_NAME = 'flowenv-dask-execution';

const ecsTasksTrustPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** CreateRole for the execution role (image pull, logs, TLS secret) of a run without `executionRoleArn`. */
export function buildExecutionRoleRequest(identity: ClusterIdentity, settings: EcsClusterSettings): CreateRoleCommandInput & { RoleName: string } {
  return {
    RoleName: `${identity.name}-execution`,
    Path: ROLE_PATH,
    Description: `ECS task execution role of Dask cluster ${identity.name} (flowenv run ${identity.runId}); deleted with the cluster`,
    AssumeRolePolicyDocument: ecsTasksTrustPolicy,
    Tags: capitalizedTags(resourceTags(settings.tags, identity.runId)),
  };
}

export interface ExecutionPolicyInput {
  roleName: string;
  partition: string;
  region: string;
  accountId: string;
  logGroupName: string;
  /** ARN of the run's TLS secret (with the suffix Secrets Manager adds). */
  tlsSecretArn: string;
}

/**
 * The execution role's only permissions: pull images from ECR, write to this run's log group and
 * read this run's TLS secret, which ECS does for the containers' `secrets` (least privilege; AWS's
 * managed AmazonECSTaskExecutionRolePolicy allows every log group and no secret at all).
 */
export function buildExecutionRolePolicy(input: ExecutionPolicyInput): PutRolePolicyCommandInput {
  return {
    RoleName: input.roleName,
    PolicyName: EXECUTION_POLICY_NAME,
    PolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'PullImages',
          Effect: 'Allow',
          Action: ['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
          Resource: '*',
        },
        {
          Sid: 'WriteLogs',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: `arn:${input.partition}:logs:${input.region}:${input.accountId}:log-group:${input.logGroupName}:*`,
        },
        {
          Sid: 'ReadTlsSecret',
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: input.tlsSecretArn,
        },
      ],
    }),
  };
}

/** CreateRole for the task role of a run with `taskRolePolicyArns` and no `taskRoleArn`. */
export function buildTaskRoleRequest(identity: ClusterIdentity, settings: EcsClusterSettings): CreateRoleCommandInput & { RoleName: string } {
  return {
    RoleName: `${identity.name}-task`,
    Path: ROLE_PATH,
    Description: `ECS task role of Dask cluster ${identity.name} (flowenv run ${identity.runId}); deleted with the cluster`,
    AssumeRolePolicyDocument: ecsTasksTrustPolicy,
    Tags: capitalizedTags(resourceTags(settings.tags, identity.runId)),
  };
}

export function buildAttachTaskRolePolicyRequests(roleName: string, settings: EcsClusterSettings): AttachRolePolicyCommandInput[] {
  return settings.taskRolePolicyArns.map((PolicyArn) => ({ RoleName: roleName, PolicyArn }));
}
