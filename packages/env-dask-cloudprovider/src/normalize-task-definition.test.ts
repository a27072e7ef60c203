import { describe, expect, it } from 'vitest';
import { contentHash, differingPaths, normalizeTaskDefinition, taskDefinitionsEqual } from './normalize-task-definition.js';

const wanted = {
  family: 'flow',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '1 vCPU',
  memory: '2 GB',
  containerDefinitions: [
    {
      name: 'flow-container',
      image: 'repo/flow:1',
      command: ['flowenv', 'execute'],
      memory: 512,
      portMappings: [{ containerPort: 8080 }],
      environment: [
        { name: 'B', value: '2' },
        { name: 'A', value: '1' },
      ],
    },
  ],
  tags: [
    { key: 'z', value: '1' },
    { key: 'a', value: '2' },
  ],
};

// What DescribeTaskDefinition returns for it (moto 5.2 / AWS): added fields, filled-in defaults,
// units converted, tags in a separate field, lists in another order.
const described = {
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/flow:4',
  family: 'flow',
  revision: 4,
  status: 'ACTIVE',
  compatibilities: ['EC2', 'FARGATE'],
  requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
  registeredAt: new Date(0).toISOString(),
  registeredBy: 'arn:aws:iam::123456789012:user/me',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '1024',
  memory: '2048',
  volumes: [],
  placementConstraints: [],
  containerDefinitions: [
    {
      name: 'flow-container',
      image: 'repo/flow:1',
      cpu: 0,
      memory: 512,
      essential: true,
      command: ['flowenv', 'execute'],
      portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
      environment: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
      mountPoints: [],
      volumesFrom: [],
      systemControls: [],
    },
  ],
};
const describedTags = [
  { key: 'a', value: '2' },
  { key: 'z', value: '1' },
];

describe('normalizeTaskDefinition', () => {
  it('makes a request and its described registration equal', () => {
    expect(normalizeTaskDefinition(described, describedTags)).toEqual(normalizeTaskDefinition(wanted));
    expect(contentHash(normalizeTaskDefinition(described, describedTags))).toBe(contentHash(normalizeTaskDefinition(wanted)));
  });

  it('drops every field ECS adds on registration', () => {
    const normalized = normalizeTaskDefinition(described, describedTags);
    for (const field of ['taskDefinitionArn', 'revision', 'status', 'compatibilities', 'requiresAttributes', 'registeredAt', 'registeredBy']) {
      expect(normalized).not.toHaveProperty(field);
    }
  });

  it('sees a changed image, cpu, environment value, tag or extra container', () => {
    const variants: [string, object][] = [
      ['image', { ...wanted, containerDefinitions: [{ ...wanted.containerDefinitions[0], image: 'repo/flow:2' }] }],
      ['cpu', { ...wanted, cpu: '512' }],
      ['environment', { ...wanted, containerDefinitions: [{ ...wanted.containerDefinitions[0], environment: [{ name: 'A', value: '9' }, { name: 'B', value: '2' }] }] }],
      ['tags', { ...wanted, tags: [{ key: 'a', value: '3' }, { key: 'z', value: '1' }] }],
      ['containers', { ...wanted, containerDefinitions: [...wanted.containerDefinitions, { name: 'sidecar', image: 'x' }] }],
    ];
    for (const [what, variant] of variants) {
      expect(taskDefinitionsEqual(variant, wanted), what).toBe(false);
    }
  });

  it('treats essential: false and a container cpu reservation as content', () => {
    const container = wanted.containerDefinitions[0];
    expect(taskDefinitionsEqual({ ...wanted, containerDefinitions: [{ ...container, essential: false }] }, wanted)).toBe(false);
    expect(taskDefinitionsEqual({ ...wanted, containerDefinitions: [{ ...container, cpu: 128 }] }, wanted)).toBe(false);
    expect(taskDefinitionsEqual({ ...wanted, containerDefinitions: [{ ...container, essential: true, cpu: 0 }] }, wanted)).toBe(true);
  });

  it('fills networkMode bridge when absent, as ECS reports it', () => {
    expect(taskDefinitionsEqual({ family: 'f' }, { family: 'f', networkMode: 'bridge' })).toBe(true);
    expect(taskDefinitionsEqual({ family: 'f' }, { family: 'f', networkMode: 'host' })).toBe(false);
  });

  it('names the paths that differ', () => {
    const left = normalizeTaskDefinition(wanted);
    const right = normalizeTaskDefinition({ ...wanted, cpu: '512', containerDefinitions: [{ ...wanted.containerDefinitions[0], image: 'repo/flow:2' }] });
    expect(differingPaths(left, right)).toEqual(['containerDefinitions.0.image', 'cpu']);
  });
});
