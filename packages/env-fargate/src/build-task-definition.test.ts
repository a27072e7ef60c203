import { FlowenvError } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { buildTaskDefinition, type TaskDefinitionInput } from './build-task-definition.js';
import type { EcsTaskDefinitionOptions } from './split-ecs-options.js';

const input: TaskDefinitionInput = { image: 'test/image:tag', graphqlUrl: 'http://api/graphql/alpha', extraLoggers: [] };

/** The 6 definition variables of spec 6.4, with flowenv's runner classes. */
const definitionEnv = (extraLoggers = '[]') => [
  { name: 'PREFECT__CLOUD__GRAPHQL', value: 'http://api/graphql/alpha' },
  { name: 'PREFECT__CLOUD__USE_LOCAL_SECRETS', value: 'false' },
  { name: 'PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS', value: '@flowenv/core#FlowRunner' },
  { name: 'PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS', value: '@flowenv/core#TaskRunner' },
  { name: 'PREFECT__LOGGING__LOG_TO_CLOUD', value: 'true' },
  { name: 'PREFECT__LOGGING__EXTRA_LOGGERS', value: extraLoggers },
];

describe('buildTaskDefinition (spec 3.2, 6.4)', () => {
  it('amends the user container: flow-container name, storage image, flowenv execute, the 6 variables (8.8.13)', () => {
    const request = buildTaskDefinition(
      { family: 'test', containerDefinitions: [{ name: 'flow-container', image: 'image', command: [], environment: [], essential: true }] },
      input,
    );
    expect(request).toEqual({
      family: 'test',
      containerDefinitions: [
        { name: 'flow-container', image: 'test/image:tag', command: ['flowenv', 'execute'], environment: definitionEnv(), essential: true },
      ],
    });
  });

  it('synthesises one container when there are none (8.8.14)', () => {
    for (const containerDefinitions of [undefined, []]) {
      const request = buildTaskDefinition({ family: 'test', ...(containerDefinitions ? { containerDefinitions } : {}) }, input);
      expect(request.containerDefinitions).toEqual([
        { environment: definitionEnv(), name: 'flow-container', image: 'test/image:tag', command: ['flowenv', 'execute'] },
      ]);
    }
  });

  it('sends the configured extra loggers in Python list form (8.8.19)', () => {
    const request = buildTaskDefinition({ family: 'test' }, { ...input, extraLoggers: ['test_logger'] });
    expect(request.containerDefinitions?.[0]?.environment?.at(-1)).toEqual({ name: 'PREFECT__LOGGING__EXTRA_LOGGERS', value: "['test_logger']" });
  });

  it('merges the variables by name into every container: run identity wins, user configuration stays', () => {
    const request = buildTaskDefinition(
      {
        family: 'test',
        containerDefinitions: [
          { name: 'mine', environment: [{ name: 'KEEP', value: '1' }, { name: 'PREFECT__CLOUD__GRAPHQL', value: 'stale' }] },
          { name: 'sidecar', image: 'envoy', environment: [{ name: 'PREFECT__LOGGING__LOG_TO_CLOUD', value: 'false' }] },
        ],
      },
      input,
    );
    const [flow, sidecar] = request.containerDefinitions ?? [];
    expect(flow?.environment).toEqual([{ name: 'KEEP', value: '1' }, ...definitionEnv()]);
    expect(sidecar).toEqual({
      name: 'sidecar',
      image: 'envoy',
      environment: [{ name: 'PREFECT__LOGGING__LOG_TO_CLOUD', value: 'false' }, ...definitionEnv().filter((variable) => variable.name !== 'PREFECT__LOGGING__LOG_TO_CLOUD')],
    });
  });

  it('does not change the options it was given, and a second build gives the same request (0.11 mutated them, §9.5)', () => {
    const options: EcsTaskDefinitionOptions = { family: 'test', containerDefinitions: [{ name: 'x', environment: [{ name: 'A', value: '1' }] }] };
    const before = structuredClone(options);
    const first = buildTaskDefinition(options, input);
    const second = buildTaskDefinition(options, input);
    expect(options).toEqual(before);
    expect(second).toEqual(first);
    expect(first.containerDefinitions?.[0]?.environment).toHaveLength(7);
  });

  it('puts the auth token into the flow container secrets as a reference, never as a value', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect-token';
    const request = buildTaskDefinition(
      {
        family: 'test',
        executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
        containerDefinitions: [
          {
            environment: [{ name: 'PREFECT__CLOUD__AUTH_TOKEN', value: 'literal-token' }],
            secrets: [{ name: 'OTHER', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/other' }],
          },
          { name: 'sidecar' },
        ],
      },
      { ...input, authTokenSecretArn: arn },
    );
    const [flow, sidecar] = request.containerDefinitions ?? [];
    expect(flow?.secrets).toEqual([
      { name: 'OTHER', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/other' },
      { name: 'PREFECT__CLOUD__AUTH_TOKEN', valueFrom: arn },
    ]);
    expect(flow?.environment).toEqual(definitionEnv());
    expect(sidecar?.secrets).toBeUndefined();
    expect(JSON.stringify(request)).not.toContain('literal-token');
  });

  it('keeps the keys in 0.11 order and copies every definition option through', async () => {
    const request = buildTaskDefinition(
      {
        inferenceAccelerators: [{ deviceName: 'a', deviceType: 'eia2.medium' }],
        cpu: '256',
        memory: '512',
        family: 'golden',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        taskRoleArn: 'arn:aws:iam::123456789012:role/task',
        executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
        volumes: [{ name: 'scratch' }],
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.os-type == linux' }],
        tags: [{ key: 'team', value: 'data' }],
        pidMode: 'task',
        ipcMode: 'none',
        proxyConfiguration: { containerName: 'envoy', type: 'APPMESH' },
        containerDefinitions: [
          {
            name: 'ignored',
            image: 'ignored',
            command: ['ignored'],
            memory: 512,
            logConfiguration: {
              logDriver: 'awslogs',
              options: { 'awslogs-group': '/flowenv/golden', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'flow' },
            },
          },
          { name: 'envoy', image: 'envoyproxy/envoy:v1.30', essential: false },
        ],
      },
      { ...input, extraLoggers: ['my_logger'], authTokenSecretArn: 'arn:aws:ssm:us-east-1:123456789012:parameter/prefect-token' },
    );
    await expect(`${JSON.stringify(request, null, 2)}\n`).toMatchFileSnapshot('./__golden__/task-definition.json');
  });

  it('requires family, with a message saying what to pass', () => {
    let caught: unknown;
    try {
      buildTaskDefinition({}, input);
    } catch (error) {
      caught = error;
    }
    expect(FlowenvError.isInstance(caught) && caught.code).toBe('OPTIONS_INVALID');
    expect((caught as Error).message).toContain('`family`');
  });
});
