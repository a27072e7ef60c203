import { describe, expect, it } from 'vitest';
import { currentRunContext, runContextFromConfig, withRunContext, type RunContext } from './context.js';
import { Config, loadConfig } from './load-config.js';

describe('runContextFromConfig', () => {
  it('maps the context section to camelCase fields, ids as strings', () => {
    const config = loadConfig({
      userConfigPath: null,
      env: {
        PREFECT__CONTEXT__FLOW_RUN_ID: '12345',
        PREFECT__CONTEXT__FLOW_ID: 'flow-id',
        PREFECT__CONTEXT__NAMESPACE: 'ns',
        PREFECT__CONTEXT__IMAGE: 'test1/test2:test3',
        PREFECT__CONTEXT__FLOW_FILE_PATH: '/opt/prefect/flows/my-flow.js',
        PREFECT__CONTEXT__IDENTIFIER: 'abc',
        PREFECT__CONTEXT__SECRETS__myToken: 'secret-value',
        PREFECT__CONTEXT__SECRETS__AWS_CREDENTIALS: '{"ACCESS_KEY": "abcdef"}',
        PREFECT__CONTEXT__SECRETS__NUMBER: '42',
      },
    });
    expect(runContextFromConfig(config)).toEqual({
      flowRunId: '12345',
      flowId: 'flow-id',
      namespace: 'ns',
      image: 'test1/test2:test3',
      flowFilePath: '/opt/prefect/flows/my-flow.js',
      identifier: 'abc',
      secrets: { myToken: 'secret-value', AWS_CREDENTIALS: '{"ACCESS_KEY":"abcdef"}', NUMBER: '42' },
    });
  });

  it('leaves out what the config does not have', () => {
    const context = runContextFromConfig(loadConfig({ env: {}, userConfigPath: null }));
    expect(context).toStrictEqual({ secrets: {} });
    expect(runContextFromConfig(new Config({}))).toStrictEqual({ secrets: {} });
  });

  it('takes parameters from the context section', () => {
    const config = new Config({ context: { parameters: { x: 1, names: ['a'] } } });
    expect(runContextFromConfig(config).parameters).toEqual({ x: 1, names: ['a'] });
  });
});

describe('withRunContext / currentRunContext', () => {
  const outer: RunContext = { flowRunId: 'outer', secrets: {} };
  const inner: RunContext = { flowRunId: 'inner', secrets: { a: 'b' } };

  it('gives the innermost active context, across awaits', async () => {
    await withRunContext(outer, async () => {
      expect(currentRunContext()).toBe(outer);
      await withRunContext(inner, async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        expect(currentRunContext()).toBe(inner);
      });
      expect(currentRunContext()).toBe(outer);
    });
  });

  it('returns what the callback returns', () => {
    expect(withRunContext(outer, () => 42)).toBe(42);
  });

  it('falls back to the process context, loaded once and frozen', () => {
    const first = currentRunContext();
    expect(currentRunContext()).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.secrets)).toBe(true);
  });
});
