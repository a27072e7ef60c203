import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { commandContextPath, contextFolders, healthCheckPlanContextPath } from './build-dockerfile.js';
import { flowenvCommandPath, runtimeDirectory } from './image-layout.js';
import type { BundledFile } from './bundle-flow.js';
import type { HealthCheckPlan } from './health-check.js';

/** One file of the build context. */
export interface ContextEntry {
  /** Path inside the context (`flows/hello.mjs`). */
  path: string;
  contents: Buffer;
  /** Where it ends up in the image, for error messages ("the registry password appears in …"). */
  imagePath: string;
  /** File mode (default 0o644). */
  mode?: number;
}

export interface BuildContextInput {
  dockerfile: string;
  /** The bundled `flowenv` command and its map, the health check script, the Dask runtime (→ /opt/flowenv, sub-folders kept). */
  runtime: readonly BundledFile[];
  /** The `flowenv` script for the image's PATH. */
  commandScript: string;
  /** Every flow bundle file, with its absolute path in the image under `flowsDirectory`. */
  flowFiles: readonly BundledFile[];
  flowsDirectory: string;
  healthCheckPlan: HealthCheckPlan;
  /** Extra files, already placed under `files/` (collectExtraFiles). */
  extraFiles: readonly ContextEntry[];
}

/**
 * Lays the build context out as the Dockerfile expects it: `Dockerfile`, `files/<n>/…`,
 * `runtime/…` (→ /opt/flowenv), `bin/flowenv` (→ /usr/local/bin), `flows/…` (→ the flows
 * directory) and `healthcheck.json`.
 */
export function buildContextEntries(input: BuildContextInput): ContextEntry[] {
  const entries: ContextEntry[] = [{ path: 'Dockerfile', contents: Buffer.from(input.dockerfile), imagePath: '(Dockerfile)' }];
  entries.push(...input.extraFiles);
  for (const file of input.runtime) {
    entries.push({ path: posix.join(contextFolders.runtime, posix.relative(runtimeDirectory, file.path)), contents: Buffer.from(file.contents), imagePath: file.path });
  }
  entries.push({ path: commandContextPath, contents: Buffer.from(input.commandScript), imagePath: flowenvCommandPath, mode: 0o755 });
  for (const file of input.flowFiles) {
    const relative = posix.relative(input.flowsDirectory, file.path);
    entries.push({ path: posix.join(contextFolders.flows, relative), contents: Buffer.from(file.contents), imagePath: file.path });
  }
  entries.push({
    path: healthCheckPlanContextPath,
    contents: Buffer.from(`${JSON.stringify(input.healthCheckPlan, null, 2)}\n`),
    imagePath: healthCheckPlanContextPath,
  });
  return entries;
}

// A fixed time and owner: the same files give the same context, so Docker's layer cache hits.
const fixedTime = new Date(Date.UTC(2000, 0, 1));

/** The build context as a tar stream (tar-stream, imported on first use). */
export async function packBuildContext(entries: readonly ContextEntry[]): Promise<Readable> {
  const { default: tar } = await import('tar-stream');
  const pack = tar.pack();
  for (const entry of entries) {
    pack.entry({ name: entry.path, mode: entry.mode ?? 0o644, uid: 0, gid: 0, mtime: fixedTime }, entry.contents);
  }
  pack.finalize();
  // tar-stream 3 streams are streamx streams; dockerode pipes a Node stream.
  return Readable.from(pack);
}
