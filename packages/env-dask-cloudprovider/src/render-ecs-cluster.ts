import type { RenderedDocument } from '@flowenv/core';
import { buildCreateClusterRequest } from './build-cluster-request.js';
import { buildSchedulerRunTaskRequest, buildWorkerRunTaskRequests } from './build-dask-run-task-requests.js';
import { buildSchedulerTaskDefinition, buildWorkerTaskDefinition } from './build-dask-task-definitions.js';
import { buildAttachTaskRolePolicyRequests, buildExecutionRolePolicy, buildExecutionRoleRequest, buildTaskRoleRequest } from './build-iam-role-requests.js';
import { buildCreateLogGroupRequest } from './build-log-group-request.js';
import { buildCreateSecurityGroupRequest, buildIngressRequest } from './build-security-group-requests.js';
import { buildCreateTlsSecretRequest } from './build-tls-secret-request.js';
import type { ClusterIdentity } from './cluster-identity.js';
import { resolveEcsClusterSettings, type LaunchType } from './ecs-cluster-options.js';

/** Stand-ins for what only exists once execute ran: ids AWS assigns, the run's certificates. */
const pending = {
  account: '<account>',
  region: '<region>',
  vpc: '<default VPC>',
  subnets: ['<subnets of the VPC>'],
  securityGroup: '<created security group>',
  cluster: '<created cluster>',
  taskDefinition: (role: string) => `<${role} task definition>`,
  schedulerAddress: 'tls://<scheduler private IP>:8786',
  tls: { ca: '<CA certificate (PEM)>', certificate: '<certificate (PEM)>', privateKey: '<private key (PEM)>' },
  tlsSecretArn: '<TLS secret ARN>',
};

/**
 * Every request a built-in provider would send to create the cluster, in order, without calling
 * AWS (`flowenv render`): ids AWS assigns and the run's TLS material appear as `<placeholders>`,
 * and the cluster name as `flowenv-dask-<id>`.
 */
export function renderEcsCluster(options: Record<string, unknown>, launchType: LaunchType, runId: string): RenderedDocument[] {
  const settings = resolveEcsClusterSettings(options, launchType);
  const identity: ClusterIdentity = { runId, name: 'flowenv-dask-<id>' };
  const region = settings.regionName ?? pending.region;
  const documents: RenderedDocument[] = [];
  const add = (kind: string, document: unknown): void => void documents.push({ kind, document });

  add('CreateSecret', buildCreateTlsSecretRequest(identity, settings, pending.tls));
  if (settings.clusterArn === undefined) add('CreateCluster', buildCreateClusterRequest(identity, settings));
  const logGroup = buildCreateLogGroupRequest(identity, settings);
  const logGroupName = settings.logGroupName ?? logGroup.logGroupName;
  if (settings.logGroupName === undefined) add('CreateLogGroup', logGroup);
  let executionRoleArn = settings.executionRoleArn;
  if (executionRoleArn === undefined) {
    const role = buildExecutionRoleRequest(identity, settings);
    add('CreateRole', role);
    add('PutRolePolicy', buildExecutionRolePolicy({ roleName: role.RoleName, partition: 'aws', region, accountId: pending.account, logGroupName, tlsSecretArn: pending.tlsSecretArn }));
    executionRoleArn = `arn:aws:iam::${pending.account}:role/flowenv/dask/${role.RoleName}`;
  }
  let taskRoleArn = settings.taskRoleArn;
  if (taskRoleArn === undefined && settings.taskRolePolicyArns.length > 0) {
    const role = buildTaskRoleRequest(identity, settings);
    add('CreateRole', role);
    for (const attach of buildAttachTaskRolePolicyRequests(role.RoleName, settings)) add('AttachRolePolicy', attach);
    taskRoleArn = `arn:aws:iam::${pending.account}:role/flowenv/dask/${role.RoleName}`;
  }
  if (settings.securityGroups === undefined) {
    add('CreateSecurityGroup', buildCreateSecurityGroupRequest(identity, settings, settings.vpc ?? pending.vpc));
    add('AuthorizeSecurityGroupIngress', buildIngressRequest(pending.securityGroup, settings));
  }
  const definitionInput = { identity, region, executionRoleArn, taskRoleArn, logGroupName, tlsSecretArn: pending.tlsSecretArn, runScoped: true };
  add('TaskDefinition', buildSchedulerTaskDefinition(settings, definitionInput));
  add('TaskDefinition', buildWorkerTaskDefinition(settings, definitionInput));
  const runInput = {
    identity,
    clusterArn: settings.clusterArn ?? pending.cluster,
    subnets: settings.subnets ?? pending.subnets,
    securityGroups: settings.securityGroups ?? [pending.securityGroup],
  };
  add('RunTaskRequest', buildSchedulerRunTaskRequest(settings, { ...runInput, taskDefinitionArn: pending.taskDefinition('scheduler') }));
  for (const request of buildWorkerRunTaskRequests(settings, { ...runInput, taskDefinitionArn: pending.taskDefinition('worker'), schedulerAddress: pending.schedulerAddress, count: settings.nWorkers, step: 0 })) {
    add('RunTaskRequest', request);
  }
  return documents;
}
