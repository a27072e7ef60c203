import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FlowenvError } from '../errors/flowenv-error.js';

interface CachedInput {
  path: string;
  mtimeMs: number;
  size: number;
}

/**
 * Turns a TypeScript flow module into one ESM file Node can import: the flow and its local imports
 * bundled, packages left as imports. The result is cached beside the nearest node_modules, so
 * package imports resolve as they would from the flow, and reused until one of its input files
 * changes — a warm run costs a few stat calls, no compiler.
 */
export async function compileFlowModule(location: string): Promise<string> {
  const cacheDirectory = await findCacheDirectory(dirname(location));
  const key = createHash('sha256').update(location).digest('hex').slice(0, 16);
  const output = join(cacheDirectory, `${basename(location).replace(/\.[^.]+$/, '')}-${key}.mjs`);
  const inputsFile = `${output}.inputs.json`;
  if (await isFresh(inputsFile)) return output;

  const esbuild = await import('esbuild').catch((error: unknown) => {
    throw new FlowenvError({
      code: 'FLOW_LOAD_FAILED',
      message: 'Loading a TypeScript flow file needs the `esbuild` package: npm install esbuild (or build the flow to JavaScript)',
      cause: error,
    });
  });
  const fileUrl = pathToFileURL(location).href;
  let result: Awaited<ReturnType<typeof esbuild.build>>;
  try {
    result = await esbuild.build({
      entryPoints: [location],
      absWorkingDir: dirname(location),
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      metafile: true,
      write: false,
      logLevel: 'silent',
      // The flow keeps seeing its own location, not the cache file's.
      define: {
        'import.meta.url': JSON.stringify(fileUrl),
        'import.meta.filename': JSON.stringify(location),
        'import.meta.dirname': JSON.stringify(dirname(location)),
      },
    });
  } catch (error) {
    const first = (error as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> }).errors?.[0];
    const where = first?.location ? `${resolve(dirname(location), first.location.file)}:${first.location.line}:${first.location.column}: ` : '';
    throw new FlowenvError({
      code: 'FLOW_LOAD_FAILED',
      message: `Could not compile flow file ${location}: ${where}${first?.text ?? String(error)}`,
      cause: error,
    });
  }

  const code = result.outputFiles?.[0]?.text ?? '';
  const inputs = await Promise.all(
    Object.keys(result.metafile?.inputs ?? {}).map(async (input): Promise<CachedInput> => {
      const path = resolve(dirname(location), input);
      const info = await stat(path);
      return { path, mtimeMs: info.mtimeMs, size: info.size };
    }),
  );
  await writeAtomically(output, code);
  await writeAtomically(inputsFile, JSON.stringify(inputs));
  return output;
}

/** `<nearest node_modules>/.cache/flowenv`, so package imports resolve as from the flow's folder. */
async function findCacheDirectory(start: string): Promise<string> {
  for (let directory = start; ; directory = dirname(directory)) {
    const candidate = join(directory, 'node_modules');
    if ((await stat(candidate).catch(() => undefined))?.isDirectory()) {
      const cache = join(candidate, '.cache', 'flowenv');
      await mkdir(cache, { recursive: true });
      return cache;
    }
    if (dirname(directory) === directory) break;
  }
  const cache = join(tmpdir(), 'flowenv-flow-cache');
  await mkdir(cache, { recursive: true });
  return cache;
}

async function isFresh(inputsFile: string): Promise<boolean> {
  let inputs: CachedInput[];
  try {
    inputs = JSON.parse(await readFile(inputsFile, 'utf8')) as CachedInput[];
  } catch {
    return false;
  }
  const checks = await Promise.all(inputs.map(async (input) => {
    const info = await stat(input.path).catch(() => undefined);
    return info !== undefined && info.mtimeMs === input.mtimeMs && info.size === input.size;
  }));
  return inputs.length > 0 && checks.every(Boolean);
}

// Concurrent runs (threads, Dask hosts) may compile the same flow: readers never see half a file.
async function writeAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}
