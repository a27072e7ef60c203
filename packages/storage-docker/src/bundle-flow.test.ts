import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFlow, type FlowBundle } from './bundle-flow.js';

const fixtures = fileURLToPath(new URL('./__fixtures__/', import.meta.url));
const packageRoot = dirname(dirname(fixtures));
// Bundle flowenv packages from their TypeScript sources: no build needed.
const conditions = ['@flowenv/source'];

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'flowenv-bundle-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Writes a bundle's files where its paths say, re-rooted under the temp folder. */
async function writeBundle(bundle: FlowBundle): Promise<void> {
  for (const file of bundle.files) await writeFile(join(directory, file.path.split('/').pop() as string), file.contents);
}

/** Runs a script with plain node (no test-runner transforms), as the image would. */
let scripts = 0;
async function runNode(script: string): Promise<string> {
  const file = join(directory, `script-${(scripts += 1)}.mjs`);
  await writeFile(file, script);
  return execFileSync(process.execPath, ['--enable-source-maps', file], { cwd: directory, encoding: 'utf8' });
}

describe('bundleFlow', { timeout: 30_000 }, () => {
  it('bundles a TS flow and core into one ESM file that loads with plain node', async () => {
    const location = join(directory, 'hello-docker.mjs');
    const bundle = await bundleFlow({ sourcePath: join(fixtures, 'hello-flow.ts'), location, conditions, workingDirectory: packageRoot });
    expect(bundle.files.map((file) => file.path)).toEqual([location, `${location}.map`]);
    expect(bundle.bundledPackages).toContain('@flowenv/core');
    const code = bundle.files[0]?.contents as string;
    expect(code).not.toMatch(/from ["']@flowenv\/core["']/);
    expect(code.trimEnd().endsWith('//# sourceMappingURL=hello-docker.mjs.map')).toBe(true);
    await writeBundle(bundle);

    const loaded = JSON.parse(await runNode(`const { default: flow } = await import(${JSON.stringify(location)}); console.log(JSON.stringify({ name: flow.name, tasks: flow.tasks.map((task) => task.name) }));`));
    expect(loaded).toEqual({ name: 'hello docker?!~', tasks: ['who', 'greeting'] });
  });

  it('keeps a source map whose sources are relative to the working directory', async () => {
    const location = join(directory, 'mapped.mjs');
    const bundle = await bundleFlow({ sourcePath: join(fixtures, 'hello-flow.ts'), location, conditions, workingDirectory: packageRoot });
    const map = JSON.parse(bundle.files[1]?.contents as string) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sources).toContain('src/__fixtures__/hello-flow.ts');
    expect(map.sources.some((source) => source.startsWith('/'))).toBe(false);
    expect(map.sourcesContent).toBeUndefined();
  });

  it('ships the worker-thread script when the flow bundles core LocalParallelExecutor, and it runs', async () => {
    const location = join(directory, 'parallel.mjs');
    const bundle = await bundleFlow({ sourcePath: join(fixtures, 'parallel-flow.ts'), location, conditions, workingDirectory: packageRoot });
    expect(bundle.files.map((file) => file.path.split('/').pop())).toEqual(['parallel.mjs', 'parallel.mjs.map', 'task-thread.js', 'task-thread.js.map', 'package.json']);
    await writeBundle(bundle);
    const output = await runNode(
      `const bundle = await import(${JSON.stringify(location)});
       const flow = await bundle.loadFlow(${JSON.stringify(location)});
       const result = await new bundle.FlowRunner({ flow }).run({ executor: new bundle.LocalParallelExecutor({ threads: 1 }) });
       console.log(JSON.stringify(result));`,
    );
    const parsed = JSON.parse(output) as { state: string; tasks: Record<string, { result?: unknown }> };
    expect(parsed.state, output).toBe('Success');
    expect(parsed.tasks['report']?.result).toMatch(/^49 from thread [1-9]\d*$/);
  });

  it('reports an import that cannot be resolved as FLOW_BUNDLE_FAILED naming the file', async () => {
    const broken = join(directory, 'broken-flow.ts');
    await writeFile(broken, "import { nothing } from 'flowenv-package-that-does-not-exist';\nexport default nothing;\n");
    await expect(bundleFlow({ sourcePath: broken, location: join(directory, 'broken.mjs') })).rejects.toMatchObject({
      code: 'FLOW_BUNDLE_FAILED',
      message: expect.stringMatching(/^Could not bundle .*broken-flow\.ts: .*flowenv-package-that-does-not-exist/),
    });
  });

  it('never bundles the build-time tools (esbuild, dockerode, tar-stream, tsx)', async () => {
    const location = join(directory, 'uses-storage.mjs');
    const bundle = await bundleFlow({ sourcePath: join(fixtures, 'storage-flow.ts'), location, conditions, workingDirectory: packageRoot });
    expect(bundle.bundledPackages).not.toContain('esbuild');
    expect(bundle.bundledPackages).not.toContain('dockerode');
    await writeBundle(bundle);
    const loaded = await runNode(`const { default: flow } = await import(${JSON.stringify(location)}); console.log(flow.storage.type, flow.storage.imageName);`);
    expect(loaded.trim()).toBe('DockerStorage with-storage');
    expect(await readFile(location, 'utf8')).toMatch(/import\(["']dockerode["']\)/);
  });
});
