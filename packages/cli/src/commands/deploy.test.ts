import { describe, expect, it } from 'vitest';
import { fixturePath, recordingCalls, runCli } from '../__fixtures__/cli-harness.js';

describe('flowenv deploy', () => {
  it('runs a LocalEnvironment flow in this process with its hooks and exits 0', async () => {
    const { result, calls } = await recordingCalls(() => runCli(['deploy', fixturePath('local-flow.ts')]));
    expect(result.code).toBe(0);
    expect(calls).toEqual(['start', 'body', 'exit']);
    const [handleLine, summary] = result.stdout as [string, string];
    expect(JSON.parse(handleLine)).toEqual({ kind: 'in-process', id: 'local-flow', flow: 'local-flow' });
    expect(summary).toContain('Flow "local-flow": Success');
    expect(result.stderr).toEqual(expect.arrayContaining([
      'Building LocalStorage for flow "local-flow"…',
      'Setting up LocalEnvironment…',
      'Executing with LocalEnvironment…',
      'Run local-flow: Success',
    ]));
  });

  it('exits 1 when the flow fails, naming the failure', async () => {
    const result = await runCli(['deploy', fixturePath('failing-flow.ts')]);
    expect(result.code).toBe(1);
    expect(result.stdout[1]).toContain('Error: disk full while writing the report');
    expect(result.stderr.at(-1)).toBe('Run failing-flow: Failed — 1 of 2 tasks did not succeed: write-report');
  });

  it('is bad input for an unknown parameter (exit 2, one line)', async () => {
    const { result, calls } = await recordingCalls(() => runCli(['deploy', fixturePath('local-flow.ts'), '--param', 'x=1']));
    expect(result.code).toBe(2);
    expect(result.stderr.at(-1)).toMatch(/^flowenv deploy: Flow "local-flow" has no parameter "x"/);
    // onStart ran before the parameters were checked, and onExit ran after.
    expect(calls).toEqual(['start', 'exit']);
  });
});
