import { describe, expect, it } from 'vitest';
import { RUN_TASK_KEYS, splitEcsOptions, TASK_DEFINITION_KEYS } from './split-ecs-options.js';

// Spec 8.8.8–8.8.11: every key gets the string "test", as the original tests did (values pass through untouched).
const allTest = (keys: readonly string[]): Record<string, unknown> => Object.fromEntries(keys.map((key) => [key, 'test']));

describe('splitEcsOptions (spec 3.1)', () => {
  it('has exactly the 15 definition keys and 12 run keys of 0.11', () => {
    expect(TASK_DEFINITION_KEYS).toHaveLength(15);
    expect(RUN_TASK_KEYS).toHaveLength(12);
    expect(TASK_DEFINITION_KEYS.filter((key) => (RUN_TASK_KEYS as readonly string[]).includes(key))).toEqual(['placementConstraints', 'tags']);
  });

  it('routes the 15 definition keys; the run options get only placementConstraints and tags (8.8.8)', () => {
    const { taskDefinition, runTask } = splitEcsOptions(allTest(TASK_DEFINITION_KEYS));
    expect(taskDefinition).toEqual(allTest(TASK_DEFINITION_KEYS));
    expect(runTask).toEqual({ placementConstraints: 'test', tags: 'test' });
  });

  it('routes the 12 run keys; the definition options get only placementConstraints and tags (8.8.9)', () => {
    const { taskDefinition, runTask } = splitEcsOptions(allTest(RUN_TASK_KEYS));
    expect(runTask).toEqual(allTest(RUN_TASK_KEYS));
    expect(taskDefinition).toEqual({ placementConstraints: 'test', tags: 'test' });
  });

  it('splits a mixed input into exactly the two expected objects (8.8.10)', () => {
    const { taskDefinition, runTask } = splitEcsOptions({ family: 'test', cpu: 'test', cluster: 'test', count: 'test', tags: 'test' });
    expect(taskDefinition).toEqual({ family: 'test', cpu: 'test', tags: 'test' });
    expect(runTask).toEqual({ cluster: 'test', count: 'test', tags: 'test' });
  });

  it('leaves out keys that are not ECS options (8.8.11; the constructor rejects unknown ones)', () => {
    expect(splitEcsOptions({ test: 'not_real', labels: ['a'], launchType: 'EC2', overrides: {} })).toEqual({ taskDefinition: {}, runTask: {} });
  });

  it('passes values through untouched and skips undefined ones', () => {
    const containerDefinitions = [{ name: 'x', image: 'y' }];
    const { taskDefinition } = splitEcsOptions({ containerDefinitions, cpu: undefined });
    expect(taskDefinition).toEqual({ containerDefinitions });
    expect(taskDefinition.containerDefinitions).toBe(containerDefinitions);
  });
});
