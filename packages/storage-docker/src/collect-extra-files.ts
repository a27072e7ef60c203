import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, posix, relative, resolve, sep } from 'node:path';
import { FlowenvError } from '@flowenv/core';
import { contextFolders } from './build-dockerfile.js';
import type { ContextEntry } from './build-context.js';

export interface ExtraFiles {
  /** What the Dockerfile copies: context path → absolute path in the image. */
  copies: { contextPath: string; destination: string }[];
  entries: ContextEntry[];
}

/**
 * Reads the `files` option (local path → path in the image; a folder is copied with its contents)
 * into build-context entries under `files/<n>/`.
 */
export async function collectExtraFiles(files: Readonly<Record<string, string>>, cwd: string = process.cwd()): Promise<ExtraFiles> {
  const result: ExtraFiles = { copies: [], entries: [] };
  let index = 0;
  for (const [source, destination] of Object.entries(files)) {
    const absolute = resolve(cwd, source);
    const found = await stat(absolute).catch(() => undefined);
    if (found === undefined) {
      throw new FlowenvError({ code: 'STORAGE_INVALID', message: `DockerStorage: extra file ${absolute} (option \`files\`) does not exist` });
    }
    const folder = posix.join(contextFolders.files, String(index));
    index += 1;
    if (found.isDirectory()) {
      for (const file of await listFiles(absolute)) {
        const inside = relative(absolute, file).split(sep).join('/');
        result.entries.push({ path: posix.join(folder, inside), contents: await readFile(file), imagePath: posix.join(destination, inside) });
      }
      result.copies.push({ contextPath: `${folder}/`, destination: destination.endsWith('/') ? destination : `${destination}/` });
    } else {
      const contextPath = posix.join(folder, basename(absolute));
      result.entries.push({ path: contextPath, contents: await readFile(absolute), imagePath: destination });
      result.copies.push({ contextPath, destination });
    }
  }
  return result;
}

async function listFiles(directory: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files.sort();
}
