import { hostname } from 'node:os';
import { flowenvVersion } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { fixturePath, helloFlowPath, runCli } from '../__fixtures__/cli-harness.js';

interface Serialized {
  name: string;
  environment: Record<string, unknown> & { type: string; labels: string[] };
  storage: Record<string, unknown> & { type: string; flows: Record<string, string> };
}

describe('flowenv serialize', () => {
  it('uses RemoteEnvironment for a flow that names no environment, with the LocalStorage hostname label', async () => {
    const result = await runCli(['serialize', helloFlowPath]);
    expect(result.code).toBe(0);
    expect(result.stderr).toEqual([]);
    const serialized = JSON.parse(result.stdout[0] as string) as Serialized;
    expect(serialized.name).toBe('hello');
    expect(serialized.environment).toEqual({
      executor: '@flowenv/core#LocalExecutor',
      executor_kwargs: {},
      labels: [hostname()],
      __version__: flowenvVersion,
      type: 'RemoteEnvironment',
    });
    expect(serialized.storage).toMatchObject({ type: 'LocalStorage', flows: { hello: helloFlowPath }, secrets: [] });
  });

  it('serializes the environment the flow names, with its labels and the hostname', async () => {
    const result = await runCli(['serialize', fixturePath('local-flow.ts')]);
    expect(result.code).toBe(0);
    const serialized = JSON.parse(result.stdout[0] as string) as Serialized;
    expect(serialized.environment.type).toBe('LocalEnvironment');
    expect(serialized.environment.labels).toEqual(['cli-test', hostname()].sort());
    expect(Object.keys(serialized.environment).sort()).toEqual(['__version__', 'labels', 'type']);
  });

  it('is bad input without exactly one flow file', async () => {
    for (const argv of [['serialize'], ['serialize', helloFlowPath, helloFlowPath], ['serialize', '--json']]) {
      const result = await runCli(argv);
      expect(result.code).toBe(2);
      expect(result.stderr).toEqual(['flowenv serialize: usage: flowenv serialize <flow-file>']);
    }
  });
});
