import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { FlowenvError } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { awsError, clientException, FakeEcs } from './__fixtures__/fake-aws.js';
import { cachedTaskDefinitionArn, createTaskDefinitionCache, ensureTaskDefinition, isMissingTaskDefinition, type EnsureTaskDefinitionOptions } from './ensure-task-definition.js';

const wanted = (image = 'repo/flow:1'): RegisterTaskDefinitionCommandInput => ({
  family: 'flow',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  containerDefinitions: [{ name: 'flow-container', image, command: ['flowenv', 'execute'], environment: [{ name: 'A', value: '1' }] }],
});

const noWait = { sleep: async () => {}, random: () => 0.5 };

function setup(): { ecs: FakeEcs; options: EnsureTaskDefinitionOptions } {
  return { ecs: new FakeEcs(), options: { scope: 'test', cache: createTaskDefinitionCache(), retry: noWait } };
}

async function rejectionOf(promise: Promise<unknown>): Promise<FlowenvError> {
  try {
    await promise;
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('ensureTaskDefinition (setup, spec 3.2 fixed)', () => {
  it('registers when the family does not exist (8.8.13)', async () => {
    const { ecs, options } = setup();
    const result = await ensureTaskDefinition({ ecs: ecs as never }, wanted(), options);
    expect(result).toEqual({ taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/flow:1', registered: true, source: 'registered' });
    expect(ecs.calls.map((call) => call.command)).toEqual(['DescribeTaskDefinition', 'RegisterTaskDefinition']);
    expect(ecs.inputsOf('DescribeTaskDefinition')).toEqual([{ taskDefinition: 'flow', include: ['TAGS'] }]);
    expect(ecs.inputsOf('RegisterTaskDefinition')).toEqual([wanted()]);
  });

  it('describes and does not register when the latest revision has the same content (8.8.12, with the missing negative assert)', async () => {
    const { ecs, options } = setup();
    await ensureTaskDefinition({ ecs: ecs as never }, wanted(), options);
    const fresh = { ...options, cache: createTaskDefinitionCache() }; // another process
    const result = await ensureTaskDefinition({ ecs: ecs as never }, wanted(), fresh);
    expect(result).toMatchObject({ registered: false, source: 'described', taskDefinitionArn: expect.stringMatching(/flow:1$/) });
    expect(ecs.count('RegisterTaskDefinition')).toBe(1);
    expect(ecs.count('DescribeTaskDefinition')).toBe(2);
  });

  it('makes no AWS call the second time in one process', async () => {
    const { ecs, options } = setup();
    await ensureTaskDefinition({ ecs: ecs as never }, wanted(), options);
    const before = ecs.calls.length;
    const result = await ensureTaskDefinition({ ecs: ecs as never }, wanted(), options);
    expect(result.source).toBe('cache');
    expect(ecs.calls.length).toBe(before);
    expect(cachedTaskDefinitionArn(wanted(), options)).toBe(result.taskDefinitionArn);
    expect(cachedTaskDefinitionArn(wanted('repo/flow:2'), options)).toBeUndefined();
  });

  it('registers exactly one more revision when the image changes (0.11 never noticed, #3031)', async () => {
    const { ecs, options } = setup();
    await ensureTaskDefinition({ ecs: ecs as never }, wanted('repo/flow:1'), options);
    const changed = await ensureTaskDefinition({ ecs: ecs as never }, wanted('repo/flow:2'), options);
    expect(changed).toMatchObject({ registered: true, taskDefinitionArn: expect.stringMatching(/flow:2$/) });
    const again = await ensureTaskDefinition({ ecs: ecs as never }, wanted('repo/flow:2'), { ...options, cache: createTaskDefinitionCache() });
    expect(again.registered).toBe(false);
    expect(ecs.count('RegisterTaskDefinition')).toBe(2);
  });

  it('reports access denied instead of treating it as "missing" (0.11 registered on any ClientError)', async () => {
    const { ecs, options } = setup();
    ecs.fail('DescribeTaskDefinition', awsError('AccessDeniedException', 'User is not authorized to perform: ecs:DescribeTaskDefinition'));
    const error = await rejectionOf(ensureTaskDefinition({ ecs: ecs as never }, wanted(), options));
    expect(error.code).toBe('AWS_ACCESS_DENIED');
    expect(error.message).toContain('ecs:DescribeTaskDefinition');
    expect(error.cause).toMatchObject({ name: 'AccessDeniedException' });
    expect(ecs.count('RegisterTaskDefinition')).toBe(0);
  });

  it('retries throttling and "too many concurrent attempts" with jittered backoff', async () => {
    const { ecs, options } = setup();
    const waits: number[] = [];
    ecs.fail('DescribeTaskDefinition', awsError('ThrottlingException', 'Rate exceeded'));
    ecs.fail('RegisterTaskDefinition', clientException('Too many concurrent attempts to create a new revision of the specified family.'), awsError('ThrottlingException', 'Rate exceeded'));
    const result = await ensureTaskDefinition({ ecs: ecs as never }, wanted(), {
      ...options,
      retry: { sleep: async (milliseconds) => void waits.push(milliseconds), random: () => 0.5, baseDelayMs: 100, maxDelayMs: 150 },
    });
    expect(result.registered).toBe(true);
    expect(ecs.count('DescribeTaskDefinition')).toBe(2);
    expect(ecs.count('RegisterTaskDefinition')).toBe(3);
    expect(waits).toEqual([50, 50, 75]); // random 0.5 × ceilings 100, 100, min(150, 200)
  });

  it('gives up after the last attempt with AWS_THROTTLED (retryable)', async () => {
    const { ecs, options } = setup();
    ecs.fail('DescribeTaskDefinition', ...Array.from({ length: 3 }, () => awsError('ThrottlingException', 'Rate exceeded')));
    const error = await rejectionOf(ensureTaskDefinition({ ecs: ecs as never }, wanted(), { ...options, retry: { ...noWait, attempts: 3 } }));
    expect(error.code).toBe('AWS_THROTTLED');
    expect(error.retryable).toBe(true);
    expect(ecs.count('DescribeTaskDefinition')).toBe(3);
  });

  it('shares one describe and one registration between concurrent setups of one family', async () => {
    const { ecs, options } = setup();
    const results = await Promise.all(Array.from({ length: 5 }, () => ensureTaskDefinition({ ecs: ecs as never }, wanted(), options)));
    expect(new Set(results.map((result) => result.taskDefinitionArn)).size).toBe(1);
    expect(ecs.count('DescribeTaskDefinition')).toBe(1);
    expect(ecs.count('RegisterTaskDefinition')).toBe(1);
  });

  it('lets a failed registration be tried again by the next setup', async () => {
    const { ecs, options } = setup();
    ecs.fail('RegisterTaskDefinition', awsError('InvalidParameterException', 'Container.image should not be null or empty.'));
    const error = await rejectionOf(ensureTaskDefinition({ ecs: ecs as never }, wanted(), options));
    expect(error.code).toBe('AWS_REQUEST_FAILED');
    expect(error.message).toContain('ecs:RegisterTaskDefinition');
    expect((await ensureTaskDefinition({ ecs: ecs as never }, wanted(), options)).registered).toBe(true);
  });

  it('keeps scopes (endpoint, region, identity) apart', async () => {
    const { ecs, options } = setup();
    await ensureTaskDefinition({ ecs: ecs as never }, wanted(), options);
    const other = await ensureTaskDefinition({ ecs: ecs as never }, wanted(), { ...options, scope: 'other-region' });
    expect(other.source).toBe('described');
  });

  it('knows "missing" only from ECS\'s own answer', () => {
    expect(isMissingTaskDefinition(clientException('Unable to describe task definition.'))).toBe(true);
    expect(isMissingTaskDefinition(awsError('AccessDeniedException', 'not authorized'))).toBe(false);
    expect(isMissingTaskDefinition(clientException('Too many concurrent attempts'))).toBe(false);
    expect(isMissingTaskDefinition(new Error('Unable to describe task definition.'))).toBe(false);
  });
});
