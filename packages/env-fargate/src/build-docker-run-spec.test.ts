import { FlowenvError } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { buildDockerRunSpec } from './build-docker-run-spec.js';
import { buildRunTaskRequest } from './build-run-task-request.js';
import { buildTaskDefinition } from './build-task-definition.js';

describe('buildDockerRunSpec ("run the spec")', () => {
  it('turns the registered flow container and the run override into image, command and env', () => {
    const definition = buildTaskDefinition(
      { family: 'flow', containerDefinitions: [{ environment: [{ name: 'MINE', value: 'x' }] }] },
      { image: 'registry/flow:1', graphqlUrl: 'http://api/graphql/alpha', extraLoggers: [] },
    );
    const request = buildRunTaskRequest({}, {
      family: 'flow',
      launchType: 'FARGATE',
      image: 'registry/flow:1',
      flowFilePath: '/opt/prefect/flows/flow.mjs',
      flowRunId: 'run-1',
      authToken: '',
      agentAuthToken: '',
    });
    const spec = buildDockerRunSpec(definition.containerDefinitions?.[0] ?? {}, request.overrides?.containerOverrides?.[0]);
    expect(spec).toEqual({
      image: 'registry/flow:1',
      command: ['flowenv', 'execute'],
      env: {
        MINE: 'x',
        PREFECT__CLOUD__GRAPHQL: 'http://api/graphql/alpha',
        PREFECT__CLOUD__USE_LOCAL_SECRETS: 'false',
        PREFECT__ENGINE__FLOW_RUNNER__DEFAULT_CLASS: '@flowenv/core#FlowRunner',
        PREFECT__ENGINE__TASK_RUNNER__DEFAULT_CLASS: '@flowenv/core#TaskRunner',
        PREFECT__LOGGING__LOG_TO_CLOUD: 'true',
        PREFECT__LOGGING__EXTRA_LOGGERS: '[]',
        PREFECT__CLOUD__AUTH_TOKEN: '',
        PREFECT__CONTEXT__FLOW_RUN_ID: 'run-1',
        PREFECT__CONTEXT__IMAGE: 'registry/flow:1',
        PREFECT__CONTEXT__FLOW_FILE_PATH: '/opt/prefect/flows/flow.mjs',
      },
    });
  });

  it('lets the override win by name, and its command replace the definition command', () => {
    const spec = buildDockerRunSpec(
      { name: 'c', image: 'i', entryPoint: ['/init'], command: ['a'], environment: [{ name: 'X', value: '1' }], workingDirectory: '/w', user: '1000' },
      { name: 'c', command: ['b'], environment: [{ name: 'X', value: '2' }] },
    );
    expect(spec).toEqual({ image: 'i', entrypoint: ['/init'], command: ['b'], env: { X: '2' }, workingDirectory: '/w', user: '1000' });
  });

  it('fills secrets from secretValues by name or ARN, and refuses a secret it cannot fill', () => {
    const container = { name: 'c', image: 'i', secrets: [{ name: 'PREFECT__CLOUD__AUTH_TOKEN', valueFrom: 'arn:aws:ssm:us-east-1:1:parameter/t' }] };
    expect(buildDockerRunSpec(container, undefined, { secretValues: { PREFECT__CLOUD__AUTH_TOKEN: 'tok' } }).env).toEqual({ PREFECT__CLOUD__AUTH_TOKEN: 'tok' });
    expect(buildDockerRunSpec(container, undefined, { secretValues: { 'arn:aws:ssm:us-east-1:1:parameter/t': 'tok' } }).env).toEqual({ PREFECT__CLOUD__AUTH_TOKEN: 'tok' });
    let caught: unknown;
    try {
      buildDockerRunSpec(container);
    } catch (error) {
      caught = error;
    }
    expect(FlowenvError.isInstance(caught) && caught.code).toBe('SECRET_NOT_FOUND');
  });

  it('refuses an override for another container', () => {
    expect(() => buildDockerRunSpec({ name: 'a', image: 'i' }, { name: 'b' })).toThrow('not a');
  });
});
