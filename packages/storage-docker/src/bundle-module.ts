import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, join, resolve } from 'node:path';
import type { BuildFailure, Loader, Message, Plugin } from 'esbuild';
import { FlowenvError } from '@flowenv/core';

/**
 * Packages a bundle must never contain: the build-time tools of DockerStorage itself. A flow module
 * that constructs a DockerStorage pulls this package into its bundle; these are only imported, lazily,
 * by build(), which never runs inside the image.
 */
export const buildTimeOnlyPackages: readonly string[] = ['esbuild', 'dockerode', 'tar-stream', 'tsx', 'tsx/*'];

export interface BundleRequest {
  /** A module file, or module text with the folder its imports resolve from. */
  entry: { path: string } | { contents: string; resolveDir: string; displayName: string };
  /** File name of the output; the source map is `<outputName>.map` next to it. */
  outputName: string;
  /** Source paths in the map are written relative to this folder. */
  workingDirectory: string;
  /** Extra package.json export conditions (tests bundle from sources with `@flowenv/source`). */
  conditions?: readonly string[] | undefined;
  /** esbuild target (default node20). */
  target?: string | undefined;
}

export interface ModuleBundle {
  /** ESM text; ends with a sourceMappingURL comment naming `<outputName>.map`. */
  code: string;
  map: string;
  /** Absolute paths of every file whose code is in the bundle. */
  inputs: string[];
}

/**
 * CommonJS dependencies call require() for Node built-ins; in an ESM bundle that needs a real
 * require. esbuild renames any module-level `require` of the bundled code, so this one cannot clash.
 */
const requireBanner = "import { createRequire as __flowenvCreateRequire } from 'node:module';\nconst require = __flowenvCreateRequire(import.meta.url);";

/**
 * Bundles one ESM module with everything it imports (except Node built-ins and
 * {@link buildTimeOnlyPackages}) into a single file with a linked source map.
 */
export async function bundleModule(request: BundleRequest): Promise<ModuleBundle> {
  const esbuild = await import('esbuild');
  const workingDirectory = resolve(request.workingDirectory);
  const outfile = join(workingDirectory, request.outputName);
  const entry = 'path' in request.entry ? { entryPoints: [request.entry.path] } : {
    stdin: {
      contents: request.entry.contents,
      resolveDir: request.entry.resolveDir,
      sourcefile: request.entry.displayName,
      loader: 'js' as const,
    },
  };
  const what = 'path' in request.entry ? request.entry.path : request.entry.displayName;
  let result;
  try {
    result = await esbuild.build({
      ...entry,
      absWorkingDir: workingDirectory,
      outfile,
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: request.target ?? 'node20',
      sourcemap: 'linked',
      sourcesContent: false,
      // Class names are observable: serialize() and logger names use constructor.name.
      keepNames: true,
      metafile: true,
      logLevel: 'silent',
      external: [...buildTimeOnlyPackages],
      banner: { js: requireBanner },
      ...(request.conditions && request.conditions.length > 0 ? { conditions: [...request.conditions, 'node', 'import', 'module', 'default'] } : {}),
      plugins: [inlinePackageJsonReads],
    });
  } catch (error) {
    const messages = (error as Partial<BuildFailure>).errors;
    throw new FlowenvError({
      code: 'FLOW_BUNDLE_FAILED',
      message: `Could not bundle ${what}: ${messages ? formatMessages(messages) : String(error)}`,
      cause: error,
    });
  }
  const code = result.outputFiles.find((file) => file.path === outfile)?.text;
  const map = result.outputFiles.find((file) => file.path === `${outfile}.map`)?.text;
  if (code === undefined || map === undefined) {
    throw new FlowenvError({ code: 'FLOW_BUNDLE_FAILED', message: `Could not bundle ${what}: esbuild wrote no output` });
  }
  // The files that contributed code to the output (tree-shaken ones are listed in inputs only).
  const output = Object.entries(result.metafile.outputs).find(([path]) => resolve(workingDirectory, path) === outfile)?.[1];
  const inputs = Object.entries(output?.inputs ?? {})
    .filter(([input, contribution]) => contribution.bytesInOutput > 0 && !input.startsWith('<'))
    .map(([input]) => input)
    .map((input) => (isAbsolute(input) ? input : resolve(workingDirectory, input)));
  return { code, map, inputs };
}

function formatMessages(messages: readonly Message[]): string {
  return messages
    .slice(0, 5)
    .map((message) => {
      const where = message.location ? `${message.location.file}:${message.location.line}:${message.location.column}: ` : '';
      return `${where}${message.text}`;
    })
    .join('; ');
}

const jsonReadPattern = /createRequire\(import\.meta\.url\)\((['"])(\.{1,2}\/[^'"]+\.json)\1\)/g;
const loaders: Readonly<Record<string, Loader>> = { '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.ts': 'ts', '.mts': 'ts', '.cts': 'ts' };

/**
 * flowenv packages read their own package.json with `createRequire(import.meta.url)('../package.json')`
 * (core's version). Bundled, that path would point next to the bundle: inline the JSON instead.
 * Third-party packages under node_modules are left to esbuild.
 */
const inlinePackageJsonReads: Plugin = {
  name: 'flowenv-inline-package-json-reads',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
      if (args.path.includes('/node_modules/') && !args.path.includes('/node_modules/@flowenv/')) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('createRequire(import.meta.url)(')) return undefined;
      const replacements = new Map<string, string>();
      for (const match of text.matchAll(jsonReadPattern)) {
        const file = resolve(args.path, '..', match[2] as string);
        replacements.set(match[0], `(${JSON.stringify(JSON.parse(await readFile(file, 'utf8')))})`);
      }
      let contents = text;
      for (const [call, json] of replacements) contents = contents.split(call).join(json);
      return { contents, loader: loaders[extname(args.path)] ?? 'js' };
    });
  },
};
