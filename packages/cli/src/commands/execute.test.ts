import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixturePath, recordingCalls, runCli } from '../__fixtures__/cli-harness.js';

const flowFileVariable = 'PREFECT__CONTEXT__FLOW_FILE_PATH';

describe('flowenv execute', () => {
  let previous: string | undefined;
  beforeEach(() => {
    previous = process.env[flowFileVariable];
  });
  afterEach(() => {
    if (previous === undefined) delete process.env[flowFileVariable];
    else process.env[flowFileVariable] = previous;
  });

  it('runs the flow PREFECT__CONTEXT__FLOW_FILE_PATH names through its environment runFlow and exits 0', async () => {
    process.env[flowFileVariable] = fixturePath('local-flow.ts');
    const { result, calls } = await recordingCalls(() => runCli(['execute']));
    expect(result.code).toBe(0);
    // The hooks ran: runFlow, not a bare flow run.
    expect(calls).toEqual(['start', 'body', 'exit']);
    expect(result.stdout[0]).toContain('Flow "local-flow": Success');
  });

  it('exits 1 when the flow fails', async () => {
    process.env[flowFileVariable] = fixturePath('failing-flow.ts');
    const result = await runCli(['execute']);
    expect(result.code).toBe(1);
    expect(result.stdout[0]).toContain('disk full while writing the report');
  });

  it('is bad input (exit 2) without PREFECT__CONTEXT__FLOW_FILE_PATH, and says to set it', async () => {
    delete process.env[flowFileVariable];
    const result = await runCli(['execute']);
    expect(result.code).toBe(2);
    expect(result.stdout).toEqual([]);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toMatch(/^flowenv execute: .*PREFECT__CONTEXT__FLOW_FILE_PATH/);
  });

  it('is bad input when PREFECT__CONTEXT__FLOW_FILE_PATH names no file', async () => {
    process.env[flowFileVariable] = fixturePath('no-such-flow.ts');
    const result = await runCli(['execute']);
    expect(result.code).toBe(2);
    expect(result.stderr).toEqual([`flowenv execute: Flow file not found: ${fixturePath('no-such-flow.ts')}`]);
  });

  it('takes no arguments', async () => {
    const result = await runCli(['execute', 'flow.ts']);
    expect(result.code).toBe(2);
    expect(result.stderr).toEqual(['flowenv execute: flowenv execute takes no arguments (got flow.ts)']);
  });
});
