import { FlowenvError } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { identity, settingsOf, tls } from './__fixtures__/settings.js';
import { buildCreateClusterRequest } from './build-cluster-request.js';
import { buildAttachTaskRolePolicyRequests, buildExecutionRolePolicy, buildExecutionRoleRequest, buildTaskRoleRequest } from './build-iam-role-requests.js';
import { buildCreateLogGroupRequest } from './build-log-group-request.js';
import { buildCreateSecurityGroupRequest, buildIngressRequest } from './build-security-group-requests.js';
import { buildCreateTlsSecretRequest, tlsSecretName } from './build-tls-secret-request.js';

const tlsSecretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:flowenv/dask/run-0001/flowenv-dask-0a1b2c3d-AbCdEf';

describe('what a run creates around its tasks', () => {
  const settings = settingsOf({ tags: { team: 'data' }, taskRolePolicyArns: ['arn:aws:iam::123456789012:policy/read-data'], clientSecurityGroups: ['sg-agent'] });

  it('golden: TLS secret, cluster, log group, roles, role policies, security group and its ingress', async () => {
    const executionRole = buildExecutionRoleRequest(identity, settings);
    const taskRole = buildTaskRoleRequest(identity, settings);
    const requests = {
      createTlsSecret: buildCreateTlsSecretRequest(identity, settings, tls),
      createCluster: buildCreateClusterRequest(identity, settings),
      createLogGroup: buildCreateLogGroupRequest(identity, settings),
      createExecutionRole: executionRole,
      putExecutionRolePolicy: buildExecutionRolePolicy({ roleName: executionRole.RoleName, partition: 'aws', region: 'eu-west-1', accountId: '123456789012', logGroupName: '/flowenv/dask/flowenv-dask-0a1b2c3d', tlsSecretArn }),
      createTaskRole: taskRole,
      attachTaskRolePolicies: buildAttachTaskRolePolicyRequests(taskRole.RoleName, settings),
      createSecurityGroup: buildCreateSecurityGroupRequest(identity, settings, 'vpc-0123'),
      authorizeIngress: buildIngressRequest('sg-0123', settings),
    };
    await expect(`${JSON.stringify(requests, null, 2)}\n`).toMatchFileSnapshot('./__golden__/infrastructure-requests.json');
  });

  it('opens the Dask ports to the group itself (and client groups) only: no CIDR range', () => {
    const [permission] = buildIngressRequest('sg-0123', settingsOf()).IpPermissions ?? [];
    expect(permission).toMatchObject({ IpProtocol: 'tcp', FromPort: 8786, ToPort: 8787 });
    expect(permission?.UserIdGroupPairs?.map((pair) => pair.GroupId)).toEqual(['sg-0123']);
    expect(permission).not.toHaveProperty('IpRanges');
  });

  it('lets the execution role write only to the run\'s log group and read only the run\'s secret', () => {
    const policy = JSON.parse(buildExecutionRolePolicy({ roleName: 'r', partition: 'aws-cn', region: 'cn-north-1', accountId: '1', logGroupName: '/g', tlsSecretArn }).PolicyDocument as string) as { Statement: { Action: unknown; Resource: string }[] };
    expect(policy.Statement[1]?.Resource).toBe('arn:aws-cn:logs:cn-north-1:1:log-group:/g:*');
    expect(policy.Statement[2]).toMatchObject({ Action: 'secretsmanager:GetSecretValue', Resource: tlsSecretArn });
  });

  it('names the secret after the run and the cluster, with only the characters a secret name allows', () => {
    expect(tlsSecretName(identity)).toBe('flowenv/dask/run-0001/flowenv-dask-0a1b2c3d');
    expect(tlsSecretName({ runId: 'flow run #7/a b', name: 'flowenv-dask-0a1b2c3d' })).toBe('flowenv/dask/flow_run__7_a_b/flowenv-dask-0a1b2c3d');
    expect(JSON.parse(buildCreateTlsSecretRequest(identity, settings, tls).SecretString as string)).toEqual(tls);
  });

  it('refuses TLS material larger than a secret holds, saying what to do', () => {
    let caught: unknown;
    try {
      buildCreateTlsSecretRequest(identity, settings, { ...tls, certificate: 'A'.repeat(70_000) });
    } catch (error) {
      caught = error;
    }
    expect(FlowenvError.isInstance(caught) && caught.code).toBe('OPTIONS_INVALID');
    expect((caught as Error).message).toContain('a Secrets Manager secret holds 65536');
  });

  it('tags everything run-scoped with flowenv:run and the user\'s tags', () => {
    expect(buildCreateLogGroupRequest(identity, settings).tags).toEqual({ team: 'data', 'flowenv:managed-by': '@flowenv/env-dask-cloudprovider', 'flowenv:run': 'run-0001' });
    expect(buildExecutionRoleRequest(identity, settings).Tags).toContainEqual({ Key: 'flowenv:run', Value: 'run-0001' });
    expect(buildCreateTlsSecretRequest(identity, settings, tls).Tags).toContainEqual({ Key: 'flowenv:run', Value: 'run-0001' });
  });
});
