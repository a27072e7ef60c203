import { describe, expect, it } from 'vitest';
import { runCli } from './__fixtures__/cli-harness.js';

describe('flowenv (main)', () => {
  it('exits 2 for an unknown command, naming it, with the help on stderr', async () => {
    const result = await runCli(['launch', 'flow.ts']);
    expect(result.code).toBe(2);
    expect(result.stdout).toEqual([]);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toMatch(/^flowenv: unknown command "launch"/);
    expect(result.stderr[0]).toContain('Commands:');
  });

  it('prints the help and exits 2 without a command', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stdout[0]).toContain('Commands:');
  });

  it('prints the help and exits 0 for --help', async () => {
    for (const argument of ['--help', '-h', 'help']) {
      const result = await runCli([argument]);
      expect(result.code).toBe(0);
      for (const command of ['run', 'deploy', 'execute', 'render', 'serialize']) expect(result.stdout[0]).toContain(`flowenv ${command}`);
    }
  });

  it('prints a command usage with <command> --help', async () => {
    for (const command of ['run', 'deploy', 'execute', 'render', 'serialize']) {
      const result = await runCli([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout[0]).toMatch(new RegExp(`^flowenv ${command}\\b`));
    }
  });
});
