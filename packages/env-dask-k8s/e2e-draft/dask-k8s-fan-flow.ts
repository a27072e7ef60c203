// 50 independent tasks, each sleeping a little so the run needs more than one worker pod; with
// DaskKubernetesEnvironment the scheduler runs in the Job and the tasks on the worker pods. HOSTNAME
// is the pod's name (the test node shares the host's network, so os.hostname() is the host's).
import { Flow } from '@flowenv/core';
import { DaskKubernetesEnvironment } from '@flowenv/env-dask-k8s';

const flow = new Flow({
  name: 'dask-k8s-fan',
  environment: new DaskKubernetesEnvironment({ minWorkers: 1, maxWorkers: 3, labels: ['k8s'] }),
});

// How long each task takes (the killed-scheduler test makes it long).
const sleepMs = flow.parameter('sleepMs', { default: 200 });
const tasks = Array.from({ length: 50 }, (_, index) =>
  flow.task(`square-${index}`, { upstream: { sleepMs } }, async ({ sleepMs }) => {
    await new Promise((resolve) => setTimeout(resolve, sleepMs));
    return { value: index * index, host: process.env['HOSTNAME'] ?? '?' };
  }));
flow.task('report', { upstream: Object.fromEntries(tasks.map((task, index) => [`t${index}`, task])) }, (inputs) => {
  const hosts = new Set(Object.values(inputs).map((output) => (output as { host: string }).host));
  console.log(`ran 50 tasks on ${hosts.size} host(s): ${[...hosts].sort().join(', ')}`);
  return hosts.size;
});

export default flow;
