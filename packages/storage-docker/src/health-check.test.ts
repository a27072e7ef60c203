import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFlow } from './bundle-flow.js';
import { healthCheckScript, type HealthCheckPlan } from './health-check.js';

const fixtures = fileURLToPath(new URL('./__fixtures__/', import.meta.url));
const packageRoot = dirname(dirname(fixtures));
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'flowenv-healthcheck-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Bundles a fixture flow into the temp folder and returns its plan entry. */
async function bundled(fixture: string, name: string): Promise<HealthCheckPlan['flows'][number]> {
  const location = join(directory, fixture.replace(/\.ts$/, '.mjs'));
  const bundle = await bundleFlow({ sourcePath: join(fixtures, fixture), location, conditions: ['@flowenv/source'], workingDirectory: packageRoot });
  for (const file of bundle.files) await writeFile(file.path, file.contents);
  return { name, location, bundledPackages: bundle.bundledPackages };
}

/** Runs the health check as the image build does: `node healthcheck.mjs` beside healthcheck.json. */
async function check(plan: HealthCheckPlan): Promise<{ status: number | null; stdout: string; stderr: string }> {
  await writeFile(join(directory, 'healthcheck.json'), JSON.stringify(plan));
  await writeFile(join(directory, 'healthcheck.mjs'), healthCheckScript);
  const child = spawnSync(process.execPath, [join(directory, 'healthcheck.mjs')], { cwd: directory, encoding: 'utf8' });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

describe('the image health check', { timeout: 30_000 }, () => {
  it('checks that the flowenv command can start (its #!/usr/bin/env line)', async () => {
    const result = await check({ flows: [], command: '/usr/local/bin/flowenv' });
    // This machine has /usr/bin/env: no complaint. The image without it is covered by the script's own condition.
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('flowenv-healthcheck: 0 flow(s) ok\n');
  });

  it('passes when every flow loads and its environment needs nothing missing', async () => {
    const result = await check({ flows: [await bundled('hello-flow.ts', 'hello docker?!~'), await bundled('parallel-flow.ts', 'parallel')] });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('flowenv-healthcheck: flow "hello docker?!~" loads\nflowenv-healthcheck: flow "parallel" loads\nflowenv-healthcheck: 2 flow(s) ok\n');
    expect(result.status).toBe(0);
  });

  it('names a flow that cannot be loaded', async () => {
    const throwing = join(directory, 'throws.mjs');
    await writeFile(throwing, "throw new Error('no database at import time');\n");
    const result = await check({ flows: [{ name: 'throws', location: throwing, bundledPackages: [] }] });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`flowenv-healthcheck: error: flow "throws": cannot be loaded from ${throwing}: no database at import time\n`);
  });

  it('names a module whose default export is not that flow', async () => {
    const notFlow = join(directory, 'not-a-flow.mjs');
    await writeFile(notFlow, 'export default { name: "x" };\n');
    const other = await bundled('hello-flow.ts', 'hello docker?!~');
    const result = await check({ flows: [{ name: 'x', location: notFlow, bundledPackages: [] }, { ...other, name: 'renamed' }] });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`flow "x": ${notFlow} has no default export that is a Flow`);
    expect(result.stderr).toContain('flowenv-healthcheck: error: flow "renamed": ');
    expect(result.stderr).toContain('holds the flow "hello docker?!~" instead');
  });

  it("checks the environment's dependencies: bundled in, importable, or missing (0.11 wording)", async () => {
    const entry = await bundled('missing-dependency-flow.ts', 'missing-dependency');
    expect(entry.bundledPackages).toContain('@flowenv/core');
    const result = await check({ flows: [entry] });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'flowenv-healthcheck: error: flow "missing-dependency": Using NeedsSdkEnvironment requires the `flowenv-sdk-that-is-not-installed` dependency: it is neither bundled into the flow nor installed in the image',
    );
    expect(result.stderr).not.toContain('`@flowenv/core`');
  });
});
