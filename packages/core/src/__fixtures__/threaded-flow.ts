// A flow whose CPU-bound tasks report the thread they ran on (LocalParallelExecutor tests).
import { threadId } from 'node:worker_threads';
import { Flow } from '@flowenv/core';

const flow = new Flow({ name: 'threaded' });
const size = flow.parameter('size', { default: 200_000 });
const sums = [1, 2, 3, 4].map((index) =>
  flow.task(`sum-${index}`, { upstream: { size }, cpu: true }, ({ size }) => {
    let total = 0;
    for (let value = 0; value < size; value++) total += value % (index + 1);
    return { total, threadId };
  }));
flow.task('main-thread', { upstream: Object.fromEntries(sums.map((ref, index) => [`s${index}`, ref])) }, (inputs) => ({
  threadId,
  threads: Object.values(inputs).map((value) => (value as { threadId: number }).threadId),
}));
flow.task('crash', { cpu: true }, (_inputs, context) => {
  if (context.parameters['shouldCrash'] !== true) return 'fine';
  process.exit(7);
});
flow.parameter('shouldCrash', { default: false });

export default flow;
