import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (e2e/src/ → ../..). */
export const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let cached: Record<string, string> | undefined;

/** The variables tools/testenv/up wrote to .testenv/env. */
export function testenv(): Record<string, string> {
  if (cached) return cached;
  const file = join(repositoryRoot, '.testenv', 'env');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing: run tools/testenv/up first (npm test does)`);
  }
  cached = {};
  for (const line of text.split('\n')) {
    const equals = line.indexOf('=');
    if (equals > 0) cached[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return cached;
}

/** The named variables, or an error saying which service to start: e2e suites never skip. */
export function requireServiceEnv<const Names extends readonly string[]>(service: string, names: Names): Record<Names[number], string> {
  const env = testenv();
  const missing = names.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new Error(`The ${service} test service is not up (missing ${missing.join(', ')} in .testenv/env): run tools/testenv/up ${service}`);
  }
  return Object.fromEntries(names.map((name) => [name, env[name] as string])) as Record<Names[number], string>;
}
