import { describe, expect, it } from 'vitest';
import { fixturePath, recordingCalls, runCli } from '../__fixtures__/cli-harness.js';

describe('flowenv render', () => {
  it('says there is nothing to render for a LocalEnvironment, exits 0 and runs nothing', async () => {
    const { result, calls } = await recordingCalls(() => runCli(['render', fixturePath('local-flow.ts')]));
    expect(result.code).toBe(0);
    expect(result.stdout).toEqual([]);
    expect(result.stderr).toEqual(['LocalEnvironment runs the flow in the process that executes it: there is nothing to render.']);
    expect(calls).toEqual([]);
  });

  it('is bad input for a flow file that does not exist', async () => {
    const result = await runCli(['render', fixturePath('no-such-flow.ts')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toMatch(/^flowenv render: Flow file not found: /);
  });
});
