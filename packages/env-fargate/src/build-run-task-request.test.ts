import { FlowenvError, interpretValue } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { buildRunTaskRequest, clientTokenFor, type RunTaskInput } from './build-run-task-request.js';

const input: RunTaskInput = {
  family: 'test',
  launchType: 'FARGATE',
  image: 'test/image:tag',
  flowFilePath: '/opt/prefect/flows/test.mjs',
  authToken: '',
  agentAuthToken: '',
};
const tokenArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect-token';

function flowenvErrorOf(action: () => unknown): FlowenvError {
  try {
    action();
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a FlowenvError');
}

describe('buildRunTaskRequest (spec 3.3)', () => {
  it('sends taskDefinition, cluster, launchType and the flow-container overrides in 0.11 order (8.8.15)', () => {
    const request = buildRunTaskRequest({ cluster: 'test', taskDefinition: 'test' }, input);
    expect(request).toEqual({
      cluster: 'test',
      taskDefinition: 'test',
      launchType: 'FARGATE',
      overrides: {
        containerOverrides: [
          {
            name: 'flow-container',
            environment: [
              { name: 'PREFECT__CLOUD__AUTH_TOKEN', value: '' },
              { name: 'PREFECT__CONTEXT__FLOW_RUN_ID', value: 'unknown' },
              { name: 'PREFECT__CONTEXT__IMAGE', value: 'test/image:tag' },
              { name: 'PREFECT__CONTEXT__FLOW_FILE_PATH', value: '/opt/prefect/flows/test.mjs' },
            ],
          },
        ],
      },
    });
  });

  it('takes the token from the task definition secrets when an ARN is given: no token variable in the overrides (8.8.15, 8.8.16)', () => {
    for (const tokens of [{ authToken: 'cloud-token' }, { agentAuthToken: 'agent-token' }, {}]) {
      const request = buildRunTaskRequest({ cluster: 'test' }, { ...input, ...tokens, authTokenSecretArn: tokenArn, flowRunId: 'id' });
      expect(request.overrides?.containerOverrides?.[0]?.environment).toEqual([
        { name: 'PREFECT__CONTEXT__FLOW_RUN_ID', value: 'id' },
        { name: 'PREFECT__CONTEXT__IMAGE', value: 'test/image:tag' },
        { name: 'PREFECT__CONTEXT__FLOW_FILE_PATH', value: '/opt/prefect/flows/test.mjs' },
      ]);
      expect(JSON.stringify(request)).not.toMatch(/cloud-token|agent-token/);
    }
  });

  it('refuses to send a configured cloud or agent token as plain text, telling the user to pass its ARN (8.8.16)', () => {
    for (const tokens of [{ authToken: 'cloud-token' }, { agentAuthToken: 'agent-token' }, { authToken: 'cloud-token', agentAuthToken: 'agent-token' }]) {
      const error = flowenvErrorOf(() => buildRunTaskRequest({}, { ...input, ...tokens }));
      expect(error.code).toBe('OPTIONS_INVALID');
      expect(error.message).toContain('`authTokenSecretArn`');
      expect(error.message).not.toMatch(/cloud-token|agent-token/);
    }
  });

  it('derives taskDefinition from family, and runs the revision setup resolved when there is one', () => {
    expect(buildRunTaskRequest({}, input).taskDefinition).toBe('test');
    const pinned = 'arn:aws:ecs:us-east-1:123456789012:task-definition/test:3';
    expect(buildRunTaskRequest({}, { ...input, taskDefinitionArn: pinned }).taskDefinition).toBe(pinned);
    // 0.11 style: taskDefinition set to the family by hand is pinned too; another name is the user's choice.
    expect(buildRunTaskRequest({ taskDefinition: 'test' }, { ...input, taskDefinitionArn: pinned }).taskDefinition).toBe(pinned);
    expect(buildRunTaskRequest({ taskDefinition: 'other:7' }, { ...input, taskDefinitionArn: pinned }).taskDefinition).toBe('other:7');
    expect(flowenvErrorOf(() => buildRunTaskRequest({}, { ...input, family: undefined })).message).toContain('`family`');
  });

  it('sends a capacity provider strategy instead of the launch type', () => {
    const strategy = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];
    const request = buildRunTaskRequest({}, { ...input, capacityProviderStrategy: strategy });
    expect(request.capacityProviderStrategy).toEqual(strategy);
    expect(request).not.toHaveProperty('launchType');
    expect(buildRunTaskRequest({}, { ...input, launchType: 'EC2' }).launchType).toBe('EC2');
  });

  it('derives clientToken from the flow run id: stable, at most 64 characters, none without a run id', () => {
    const request = buildRunTaskRequest({}, { ...input, flowRunId: '8f0e2c1e-5b7a-4d0e-9a5e-3f1f0b6c1d2a' });
    expect(request.clientToken).toBe(clientTokenFor('8f0e2c1e-5b7a-4d0e-9a5e-3f1f0b6c1d2a'));
    expect(request.clientToken).toMatch(/^flowenv-[0-9a-f]{56}$/);
    expect(request.clientToken).toHaveLength(64);
    expect(clientTokenFor('a')).not.toBe(clientTokenFor('b'));
    expect(clientTokenFor('x'.repeat(500))).toHaveLength(64);
    expect(buildRunTaskRequest({}, input)).not.toHaveProperty('clientToken');
  });

  it('sends parameters as PREFECT__CONTEXT__PARAMETERS, which the task reads back as the same values', () => {
    const parameters = { x: 42, name: "it's", list: [1, 'two', null, true], nested: { a: 1.5 } };
    const request = buildRunTaskRequest({}, { ...input, parameters });
    const variable = request.overrides?.containerOverrides?.[0]?.environment?.at(-1);
    expect(variable?.name).toBe('PREFECT__CONTEXT__PARAMETERS');
    expect(interpretValue(variable?.value ?? '')).toEqual(parameters);
    expect(buildRunTaskRequest({}, { ...input, parameters: {} }).overrides?.containerOverrides?.[0]?.environment).toHaveLength(4);
  });

  it('copies every run option through, in 0.11 order (golden)', async () => {
    const request = buildRunTaskRequest(
      {
        propagateTags: 'TASK_DEFINITION',
        enableECSManagedTags: true,
        tags: [{ key: 'team', value: 'data' }],
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' } },
        platformVersion: 'LATEST',
        placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
        placementConstraints: [{ type: 'distinctInstance' }],
        group: 'flows',
        startedBy: 'flowenv',
        count: 1,
        cluster: 'flows-cluster',
      },
      { ...input, flowRunId: 'run-1', authToken: 'cloud-token', authTokenSecretArn: tokenArn, parameters: { x: 1 } },
    );
    await expect(`${JSON.stringify(request, null, 2)}\n`).toMatchFileSnapshot('./__golden__/run-task-request.json');
  });
});
