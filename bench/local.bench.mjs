// LocalExecutor overhead per task on a 10,000-task chain and a 10,000-task fan-out, and how
// memory grows with the number of tasks (measured in fresh child processes).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Flow, FlowRunner, LocalExecutor } from '@flowenv/core';
import { median, report } from './report.mjs';

export function chainFlow(size) {
  const flow = new Flow({ name: 'chain' });
  let previous = flow.task('t0', () => 0);
  for (let index = 1; index < size; index++) {
    previous = flow.task(`t${index}`, { upstream: { value: previous } }, ({ value }) => value + 1);
  }
  return flow;
}

export function fanOutFlow(size) {
  const flow = new Flow({ name: 'fanout' });
  const root = flow.task('root', () => 1);
  for (let index = 0; index < size; index++) flow.task(`leaf${index}`, { upstream: { root } }, ({ root }) => root + index);
  return flow;
}

async function microsecondsPerTask(build, size, rounds) {
  const samples = [];
  for (let round = 0; round < rounds; round++) {
    const flow = build(size);
    const started = process.hrtime.bigint();
    const result = await new FlowRunner({ flow }).run({ executor: new LocalExecutor() });
    const elapsed = Number(process.hrtime.bigint() - started) / 1000;
    if (result.state !== 'Success') throw new Error(`benchmark flow failed: ${result.message}`);
    samples.push(elapsed / size);
  }
  return median(samples);
}

if (process.argv[2] === '--memory') {
  // Child mode: build and run one chain of the given size, print the peak RSS growth in MB.
  const size = Number(process.argv[3]);
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const result = await new FlowRunner({ flow: chainFlow(size) }).run({ executor: new LocalExecutor() });
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(sampler);
  if (result.state !== 'Success') process.exit(1);
  console.log(((peak - before) / 1024 / 1024).toFixed(3));
} else {
  await microsecondsPerTask(chainFlow, 1000, 3); // warm-up: JIT and allocation paths
  report('local.chain.us_per_task', await microsecondsPerTask(chainFlow, 10_000, 5), 'us/task', '<=50');
  report('local.fanout.us_per_task', await microsecondsPerTask(fanOutFlow, 10_000, 5), 'us/task', '<=50');

  const growth = (size) => {
    const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--memory', String(size)], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`memory child failed: ${child.stderr}`);
    return Number(child.stdout.trim());
  };
  const at10k = growth(10_000);
  const at40k = growth(40_000);
  report('local.peak_rss_mb_per_10k_tasks', at40k / 4, 'MB/10k tasks', 'linear in tasks');
  // 1.0 = perfectly linear; well above 1 would mean per-task memory grows with the flow's size.
  report('local.peak_rss_linearity.ratio', at40k / 4 / at10k, 'ratio (40k vs 10k per task)', '<=1.5');
}
