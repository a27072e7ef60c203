import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fixturePath, helloFlowPath, runCli, type CliResult } from '../__fixtures__/cli-harness.js';

/** Bad input: exit 2, nothing on stdout, exactly one line on stderr and no stack trace. */
function expectOneLineInputError(result: CliResult, ...mentions: string[]): void {
  expect(result.code).toBe(2);
  expect(result.stdout).toEqual([]);
  expect(result.stderr).toHaveLength(1);
  const [line] = result.stderr as [string];
  expect(line).not.toContain('\n');
  expect(line).toMatch(/^flowenv run: /);
  expect(line).not.toMatch(/\bat .+:\d+:\d+/);
  for (const mention of mentions) expect(line).toContain(mention);
}

describe('flowenv run', () => {
  beforeEach(() => {
    // examples/hello-flow.ts prints its report with console.log.
    vi.spyOn(console, 'log').mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('runs examples/hello-flow.ts: exit 0, a summary naming every task', async () => {
    const result = await runCli(['run', helloFlowPath]);
    expect(result.code).toBe(0);
    expect(result.stdout).toHaveLength(1);
    const summary = result.stdout[0] as string;
    for (const task of ['who', 'greeting', 'shout', 'letters', 'report']) expect(summary).toContain(task);
    expect(summary).toContain('"Hello, world!"');
    expect(summary).toContain('Flow "hello": Success');
    expect(summary).toContain('5 Success');
    // Progress goes to stderr, one line per finished task.
    expect(result.stderr.filter((line) => line.includes('Success'))).toHaveLength(5);
    expect(console.log).toHaveBeenCalledWith('HELLO, WORLD! (10 letters)');
  });

  it('passes --param who=Ada to the flow', async () => {
    const result = await runCli(['run', helloFlowPath, '--param', 'who=Ada']);
    expect(result.code).toBe(0);
    expect(result.stdout[0]).toContain('"Hello, Ada!"');
    expect(result.stdout[0]).not.toContain('world');
  });

  it('prints the run as parseable JSON with --json (and no progress)', async () => {
    const result = await runCli(['run', helloFlowPath, '--json', '-p', 'who=Ada']);
    expect(result.code).toBe(0);
    expect(result.stderr).toEqual([]);
    const run = JSON.parse(result.stdout[0] as string) as {
      flowName: string;
      state: string;
      parameters: Record<string, unknown>;
      tasks: Record<string, { state: string; result?: unknown }>;
    };
    expect(run.flowName).toBe('hello');
    expect(run.state).toBe('Success');
    expect(run.parameters).toEqual({ who: 'Ada' });
    expect(run.tasks['greeting']).toMatchObject({ state: 'Success', result: 'Hello, Ada!' });
    expect(run.tasks['report']?.result).toEqual({ shout: 'HELLO, ADA!', letters: 8 });
  });

  it('prints nothing but the summary with --quiet', async () => {
    const result = await runCli(['run', helloFlowPath, '--quiet']);
    expect(result.code).toBe(0);
    expect(result.stderr).toEqual([]);
    expect(result.stdout).toHaveLength(1);
  });

  it('runs with the executor --executor names', async () => {
    const result = await runCli(['run', helloFlowPath, '--executor', '@flowenv/core#LocalParallelExecutor', '--json']);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout[0] as string) as { state: string }).state).toBe('Success');
  });

  it('exits 1 when a task fails, and the summary names the error', async () => {
    const result = await runCli(['run', fixturePath('failing-flow.ts')]);
    expect(result.code).toBe(1);
    const summary = result.stdout[0] as string;
    expect(summary).toContain('write-report');
    expect(summary).toContain('Error: disk full while writing the report');
    expect(summary).toContain('Flow "failing-flow": Failed');
    expect(result.stderr.some((line) => line.includes('Failed') && line.includes('write-report'))).toBe(true);
  });

  describe('bad input: exit 2, one line on stderr, no stack trace', () => {
    it('a flow file that does not exist', async () => {
      const missing = fixturePath('no-such-flow.ts');
      expectOneLineInputError(await runCli(['run', missing]), 'not found', missing);
    });

    it('a file with no default Flow export', async () => {
      expectOneLineInputError(await runCli(['run', fixturePath('no-default-export.ts')]), 'no default export that is a Flow');
    });

    it('a dependency cycle', async () => {
      expectOneLineInputError(await runCli(['run', fixturePath('cycle-flow.ts')]), 'cycle', '"chicken"', '"egg"');
    });

    it('an unknown upstream task', async () => {
      expectOneLineInputError(await runCli(['run', fixturePath('unknown-upstream-flow.ts')]), 'unknown task "fetch-data"');
    });

    it('a missing required parameter', async () => {
      expectOneLineInputError(await runCli(['run', fixturePath('required-parameter-flow.ts')]), 'required parameter "name"');
    });

    it('an unknown parameter', async () => {
      expectOneLineInputError(await runCli(['run', helloFlowPath, '--param', 'whom=Ada']), 'no parameter "whom"', 'who');
    });

    it('a --param without name=value', async () => {
      expectOneLineInputError(await runCli(['run', helloFlowPath, '--param', 'Ada']), 'name=value');
    });

    it('an unknown option --nope', async () => {
      expectOneLineInputError(await runCli(['run', helloFlowPath, '--nope']), '--nope');
    });

    it('an executor that cannot be loaded: --executor nope#X', async () => {
      expectOneLineInputError(await runCli(['run', helloFlowPath, '--executor', 'nope#X']), 'nope#X', 'not installed');
    });

    it('no flow file', async () => {
      expectOneLineInputError(await runCli(['run']), 'usage: flowenv run <flow-file>');
    });

    it('two flow files', async () => {
      expectOneLineInputError(await runCli(['run', helloFlowPath, helloFlowPath]), 'usage: flowenv run <flow-file>');
    });
  });

  it('adds the stack trace with --debug', async () => {
    const result = await runCli(['run', fixturePath('cycle-flow.ts'), '--debug']);
    expect(result.code).toBe(2);
    expect(result.stderr).toHaveLength(2);
    expect(result.stderr[0]).toMatch(/^flowenv run: .*cycle/);
    expect(result.stderr[1]).toMatch(/^FlowenvError: .*cycle/);
    expect(result.stderr[1]).toMatch(/\n\s+at /);
  });

  it('prints its usage with --help', async () => {
    const result = await runCli(['run', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout[0]).toMatch(/^flowenv run <flow-file>/);
  });
});
