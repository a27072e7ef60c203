// npm run bench [-- <prefix>…]: runs every bench/<group>.bench.mjs (or those whose group starts
// with a prefix) in its own Node process, so memory figures are not shared, and prints their JSON
// lines: {"name":…,"value":…,"unit":…,"goal":…}. Benchmarks use the built packages (npm run build).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const prefixes = process.argv.slice(2);
const groups = readdirSync(here)
  .filter((file) => file.endsWith('.bench.mjs'))
  .map((file) => file.slice(0, -'.bench.mjs'.length))
  .filter((group) => prefixes.length === 0 || prefixes.some((prefix) => group.startsWith(prefix) || prefix.startsWith(`${group}.`)))
  .sort();
if (groups.length === 0) {
  console.error(`no benchmark group matches ${prefixes.join(', ')}`);
  process.exit(2);
}
let failed = false;
for (const group of groups) {
  const child = spawnSync(process.execPath, ['--expose-gc', join(here, `${group}.bench.mjs`)], { stdio: 'inherit' });
  if (child.status !== 0) {
    console.error(`bench group ${group} failed (exit ${child.status})`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
