import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Flow } from './flow.js';
import { FlowRunner } from './flow-runner.js';
import { loadFlow } from './load-flow.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../__fixtures__/${name}`, import.meta.url));

describe('loadFlow', () => {
  it('loads the default export of a TypeScript flow and records its location', async () => {
    const flow = await loadFlow(fixture('threaded-flow.ts'));
    expect(Flow.isFlow(flow)).toBe(true);
    expect(flow.name).toBe('threaded');
    expect(flow.location).toBe(fixture('threaded-flow.ts'));
  });

  it('loads a JavaScript flow relative to cwd', async () => {
    const flow = await loadFlow('simple-flow.mjs', { cwd: fixture('') });
    const result = await new FlowRunner({ flow }).run();
    expect(result.tasks['b']?.result).toBe(42);
  });

  it('says when the file does not exist', async () => {
    await expect(loadFlow(fixture('nope.ts'))).rejects.toMatchObject({ code: 'FLOW_LOAD_FAILED', message: `Flow file not found: ${fixture('nope.ts')}` });
  });

  it('says when the module has no default Flow export', async () => {
    await expect(loadFlow(fixture('no-default-export.ts'))).rejects.toMatchObject({ code: 'FLOW_INVALID' });
    await expect(loadFlow(fixture('no-default-export.ts'))).rejects.toThrow('has no default export that is a Flow');
  });

  it('names the flowenv package to install when the flow imports a missing one', async () => {
    await expect(loadFlow(fixture('imports-missing-provider.ts'))).rejects.toThrow(
      'uses @flowenv/env-does-not-exist, which is not installed: npm install @flowenv/env-does-not-exist',
    );
  });
});
