// Whole-process time of `flowenv run examples/hello-flow.ts` (node start to exit), median of runs.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, report } from './report.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const command = [join(root, 'packages/cli/bin/flowenv.js'), 'run', join(root, 'examples/hello-flow.ts'), '--quiet'];

function runOnce() {
  const started = performance.now();
  const child = spawnSync(process.execPath, command, { cwd: root, encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (child.status !== 0) throw new Error(`flowenv run failed (${child.status}): ${child.stderr}`);
  return elapsed;
}

runOnce(); // warm the file system cache
report('cli.run_hello.ms', median(Array.from({ length: 9 }, runOnce)), 'ms', '<=400');
