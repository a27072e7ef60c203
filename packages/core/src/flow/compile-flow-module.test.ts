import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compileFlowModule } from './compile-flow-module.js';

const fixtures = fileURLToPath(new URL('../__fixtures__/compiled/', import.meta.url));
const copies: string[] = [];
afterAll(() => {
  for (const directory of copies) rmSync(directory, { recursive: true, force: true });
});

/** A private copy of the fixtures inside the package (so `@flowenv/core` resolves from it). */
function copyFixtures(): string {
  const directory = mkdtempSync(join(fixtures, '..', 'tmp-compiled-'));
  copies.push(directory);
  for (const file of ['helper.ts', 'located-flow.ts']) copyFileSync(join(fixtures, file), join(directory, file));
  return directory;
}

function runInNode(modulePath: string): unknown {
  const script = `const m = await import(${JSON.stringify(pathToFileURL(modulePath).href)});
const { FlowRunner } = await import('@flowenv/core');
const result = await new FlowRunner({ flow: m.default }).run();
console.log(JSON.stringify(result.tasks.where.result));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dirname(modulePath), encoding: 'utf8' }));
}

describe('compileFlowModule', () => {
  it('bundles local imports, keeps package imports, and the flow still sees its own location', async () => {
    const directory = copyFixtures();
    const source = join(directory, 'located-flow.ts');
    const output = await compileFlowModule(source);
    expect(output).toMatch(/node_modules\/\.cache\/flowenv\/located-flow-[0-9a-f]{16}\.mjs$/);
    const code = readFileSync(output, 'utf8');
    expect(code).toContain('from "@flowenv/core"');
    expect(code).toContain('sourceMappingURL=data:application/json');
    expect(runInNode(output)).toEqual({ url: pathToFileURL(source).href, dirname: directory, suffix: '!' });
  });

  it('reuses the cached result until an input file changes', async () => {
    const directory = copyFixtures();
    const source = join(directory, 'located-flow.ts');
    const output = await compileFlowModule(source);
    const firstWrite = statSync(output).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await compileFlowModule(source)).toBe(output);
    expect(statSync(output).mtimeMs).toBe(firstWrite);

    writeFileSync(join(directory, 'helper.ts'), "export const suffix: string = '?';\n");
    utimesSync(join(directory, 'helper.ts'), new Date(), new Date(Date.now() + 5000));
    await compileFlowModule(source);
    expect(runInNode(output)).toMatchObject({ suffix: '?' });
  });

  it('reports a syntax error with its file and position', async () => {
    const directory = copyFixtures();
    const broken = join(directory, 'broken.ts');
    writeFileSync(broken, 'export default (;\n');
    await expect(compileFlowModule(broken)).rejects.toMatchObject({ code: 'FLOW_LOAD_FAILED' });
    await expect(compileFlowModule(broken)).rejects.toThrow(`${broken}:1:16`);
  });
});
