import { Flow, setLogSink } from '@flowenv/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAws } from './__fixtures__/fake-aws.js';
import { FakeProvider } from './__fixtures__/fake-provider.js';
import { FakeStorage } from './__fixtures__/fake-storage.js';
import { DaskCloudProviderEnvironment } from './dask-cloud-provider-environment.js';
import { EcsDaskClusterProvider } from './ecs-dask-cluster-provider.js';
import { renderEcsCluster } from './render-ecs-cluster.js';

const imageStorage = Object.assign(new FakeStorage(() => new Flow({ name: 'f' })), { type: 'DockerStorage', name: 'registry.example/flow:1' });

describe('render', () => {
  let restore: () => void;
  beforeEach(() => {
    restore = setLogSink(() => {});
  });
  afterEach(() => restore());

  it('golden: every request creating the cluster would send, after onExecute, without calling AWS', async () => {
    const environment = new DaskCloudProviderEnvironment({
      provider: 'FargateCluster',
      regionName: 'eu-west-1',
      tags: { team: 'data' },
      createClients: () => {
        throw new Error('render must not call AWS');
      },
      onExecute: (parameters, providerOptions) => {
        providerOptions['nWorkers'] = parameters['partitions'];
      },
    });
    const documents = await environment.render(imageStorage, 'loc', { parameters: { partitions: 2 }, runContext: { flowRunId: 'run-1' } });
    expect(documents.map((document) => document.kind)).toEqual([
      'CreateSecret', 'CreateCluster', 'CreateLogGroup', 'CreateRole', 'PutRolePolicy', 'CreateSecurityGroup', 'AuthorizeSecurityGroupIngress',
      'TaskDefinition', 'TaskDefinition', 'RunTaskRequest', 'RunTaskRequest',
    ]);
    await expect(`${JSON.stringify(documents, null, 2)}\n`).toMatchFileSnapshot('./__golden__/render-fargate-cluster.json');
    expect(JSON.stringify(documents)).not.toMatch(/BEGIN (CERTIFICATE|PRIVATE KEY)/);
  });

  it('renders the same requests create sends (AWS-assigned ids aside)', async () => {
    const options = { image: 'registry.example/flow:1', regionName: 'eu-west-1', nWorkers: 12, taskRolePolicyArns: ['arn:aws:iam::123456789012:policy/p'] };
    const aws = new FakeAws();
    aws.describesToRun = 0;
    const provider = new EcsDaskClusterProvider('FargateCluster');
    await provider.create({ ...options, createClients: () => aws.clients }, { runId: 'run-1', logger: { name: 't', debug() {}, info() {}, warn() {}, error() {}, critical() {} } });
    await provider.close();
    const created = aws.commands().filter((command) => /^(Create|Put|Attach|Authorize|Register|RunTask)/.test(command)).sort();
    const rendered = renderEcsCluster(options, 'FARGATE', 'run-1').map((document) => ({
      TaskDefinition: 'RegisterTaskDefinition', RunTaskRequest: 'RunTask',
    } as Record<string, string>)[document.kind] ?? document.kind).sort();
    expect(rendered).toEqual(created);
  });

  it('renders only what is not given, and nothing for a custom provider', async () => {
    const given = renderEcsCluster({
      image: 'i', clusterArn: 'arn:aws:ecs:eu-west-1:1:cluster/c', executionRoleArn: 'arn:aws:iam::1:role/e', logGroupName: '/g', subnets: ['s'], securityGroups: ['sg'],
    }, 'EC2', 'r');
    expect(given.map((document) => document.kind)).toEqual(['CreateSecret', 'TaskDefinition', 'TaskDefinition', 'RunTaskRequest', 'RunTaskRequest']);
    expect(await new DaskCloudProviderEnvironment({ provider: new FakeProvider() }).render(imageStorage, 'loc')).toEqual([]);
  });
});
