import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The npm packages a bundle contains: for each bundled file, the `name` of the nearest package.json
 * above it. The health check accepts an environment dependency that is bundled in without looking
 * for it in the image's node_modules.
 */
export function bundledPackages(inputs: readonly string[]): string[] {
  const names = new Set<string>();
  const cache = new Map<string, string | undefined>();
  for (const input of inputs) {
    const name = packageNameAbove(dirname(input), cache);
    if (name !== undefined) names.add(name);
  }
  return [...names].sort();
}

function packageNameAbove(directory: string, cache: Map<string, string | undefined>): string | undefined {
  const visited: string[] = [];
  let current = directory;
  let name: string | undefined;
  for (;;) {
    if (cache.has(current)) {
      name = cache.get(current);
      break;
    }
    visited.push(current);
    name = readPackageName(join(current, 'package.json'));
    if (name !== undefined) break;
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const folder of visited) cache.set(folder, name);
  return name;
}

function readPackageName(file: string): string | undefined {
  try {
    const name = (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name;
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    return undefined;
  }
}
