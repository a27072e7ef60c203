// DaskKubernetesEnvironment on the test cluster (tools/testenv/up docker registry k8s k8s-node dask):
// the e2e fan flow (50 independent 200 ms tasks and a report task, minWorkers 1, maxWorkers 3) built
// once into a DockerStorage image on FLOWENV_DASK_BASE_IMAGE (not timed), then one run:
// - first task: from the execute() call to the earliest start of a square task. Each square returns
//   Date.now() at its start; the scheduler Job prints them in its run summary, read back with the run
//   handle's logs() (the test node's containers share this machine's clock). The first worker pod
//   reaching Running is printed as an informational figure.
// - overhead: the whole run per task (execute() → wait() resolves) against the same flow run here with
//   DaskExecutor on a LocalDaskCluster of maxWorkers (3) workers × 1 thread (as the worker pods), also
//   cluster start included. Everything created (namespace with its Jobs, pods and Secrets, the image)
//   is removed at the end.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { BatchV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { FlowRunner, loadFlow, setLogLevel } from '@flowenv/core';
import { DaskExecutor, LocalDaskCluster } from '@flowenv/dask';
import { DockerStorage } from '@flowenv/storage-docker';
import { report } from './report.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const squares = 50;
const maxWorkers = 3;
const tasks = squares + 1; // the squares and the report (the sleepMs parameter is not counted)

function testenv() {
  let text;
  try {
    text = readFileSync(join(root, '.testenv', 'env'), 'utf8');
  } catch {
    throw new Error('no .testenv/env: run tools/testenv/up docker registry k8s k8s-node dask first');
  }
  const env = Object.fromEntries(text.split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  const needed = ['KUBECONFIG', 'DOCKER_HOST', 'FLOWENV_DASK_BASE_IMAGE', 'FLOWENV_DASK_PYTHON', 'FLOWENV_REGISTRY_URL', 'FLOWENV_REGISTRY_USERNAME', 'FLOWENV_REGISTRY_PASSWORD', 'FLOWENV_K8S_NODE'];
  const missing = needed.filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`${missing.join(', ')} not in .testenv/env: run tools/testenv/up docker registry k8s k8s-node dask first`);
  return env;
}

async function until(what, check, timeoutMs, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

const env = testenv();
process.env['KUBECONFIG'] = env.KUBECONFIG;
setLogLevel('warn');

// The e2e fan flow (e2e/src/fixtures/dask-k8s-fan-flow.ts) as plain JavaScript, except that each square
// returns its start time: a short result, so the run summary prints it whole. It lives under tmp/ of
// the repository so that it resolves the @flowenv packages like any flow file.
const workDirectory = join(root, 'tmp', 'bench-dask-k8s');
mkdirSync(workDirectory, { recursive: true });
const flowPath = join(workDirectory, 'dask-k8s-fan-flow.mjs');
writeFileSync(flowPath, `import { Flow } from '@flowenv/core';
import { DaskKubernetesEnvironment } from '@flowenv/env-dask-k8s';
const flow = new Flow({
  name: 'dask-k8s-bench-fan',
  environment: new DaskKubernetesEnvironment({ minWorkers: 1, maxWorkers: ${maxWorkers}, labels: ['k8s'] }),
});
const sleepMs = flow.parameter('sleepMs', { default: 200 });
const squares = Array.from({ length: ${squares} }, (_, index) =>
  flow.task(\`square-\${index}\`, { upstream: { sleepMs } }, async ({ sleepMs }) => {
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, sleepMs));
    return started;
  }));
flow.task('report', { upstream: Object.fromEntries(squares.map((task, index) => [\`t\${index}\`, task])) }, (inputs) =>
  Math.min(...Object.values(inputs)));
export default flow;
`);

const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(env.KUBECONFIG);
const core = kubeConfig.makeApiClient(CoreV1Api);
const batch = kubeConfig.makeApiClient(BatchV1Api);
const rbac = kubeConfig.makeApiClient(RbacAuthorizationV1Api);
const docker = new Docker({ socketPath: env.DOCKER_HOST.replace(/^unix:\/\//, '') });

const suffix = randomBytes(3).toString('hex');
const namespace = `flowenv-bench-dask-k8s-${suffix}`;
const flow = await loadFlow(flowPath);
const storage = new DockerStorage({
  registryUrl: env.FLOWENV_REGISTRY_URL,
  imageName: `bench/dask-k8s-fan-${suffix}`,
  baseImage: env.FLOWENV_DASK_BASE_IMAGE,
  dockerHost: env.DOCKER_HOST,
  registryUsername: env.FLOWENV_REGISTRY_USERNAME,
  registryPassword: env.FLOWENV_REGISTRY_PASSWORD,
  progress: 'none',
});
let handle;
let cluster;
let executor;
try {
  // ----------------------------------------------------------------------------- setup (not timed)
  await core.createNamespace({ body: { metadata: { name: namespace, labels: { 'flowenv.test/suite': 'bench-dask-k8s' } } } });
  await until(`the default ServiceAccount of ${namespace}`, async () =>
    core.readNamespacedServiceAccount({ name: 'default', namespace }).then(() => true, () => undefined), 30_000);
  // runFlow, inside the Job, creates and deletes the worker pods as the namespace's default service account.
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name: 'dask-workers' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'list', 'delete'] }] } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: { metadata: { name: 'dask-workers' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'dask-workers' }, subjects: [{ kind: 'ServiceAccount', name: 'default', namespace }] },
  });
  const location = await storage.addFlow(flow, flowPath);
  const built = performance.now();
  await storage.build({ push: true });
  console.error(`built and pushed ${storage.name} in ${((performance.now() - built) / 1000).toFixed(1)} s (not timed)`);

  // --------------------------------------------------------------------------- Kubernetes run
  const executeAt = Date.now();
  const executeStarted = performance.now();
  handle = await flow.environment.execute(storage, location, { runContext: { namespace, flowRunId: randomUUID() } });
  const identifier = handle.details['identifier'];
  let firstPodRunningAt;
  let peak = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: `prefect.io/identifier=${identifier},app=prefect-dask-worker` });
      const live = pods.items.filter((pod) => pod.metadata?.deletionTimestamp === undefined);
      peak = Math.max(peak, live.length);
      if (firstPodRunningAt === undefined && live.some((pod) => pod.status?.phase === 'Running')) firstPodRunningAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const lines = [];
  const [outcome] = await Promise.all([handle.wait(), (async () => {
    for await (const line of handle.logs({ follow: true })) lines.push(line);
  })()]);
  const k8sRunMs = performance.now() - executeStarted;
  watching = false;
  await watcher;
  if (outcome.state !== 'Success') throw new Error(`the Kubernetes run failed (${outcome.reason}):\n${lines.join('\n')}`);
  // Summary rows: `square-7  Success  1  1764291234567`; `report` returns the earliest of them all.
  const starts = [];
  for (const line of lines) {
    const match = /^(square-\d+|report)\s+Success\s+\d+\s+(\d{13})$/.exec(line);
    if (match) starts.push(Number(match[2]));
  }
  if (starts.length === 0) throw new Error(`no task start time in the run's logs:\n${lines.join('\n')}`);
  const firstTaskAt = Math.min(...starts);
  const k8sPerTask = k8sRunMs / tasks;

  // ------------------------------------------------------------------------------- local run
  const python = env.FLOWENV_DASK_PYTHON;
  const localStarted = performance.now();
  cluster = await LocalDaskCluster.start({ workers: maxWorkers, threadsPerWorker: 1, python });
  executor = new DaskExecutor({ address: cluster.address, python });
  const result = await new FlowRunner({ flow }).run({ executor });
  const localRunMs = performance.now() - localStarted;
  if (result.state !== 'Success') throw new Error(`the local run failed: ${result.message}`);
  const localPerTask = localRunMs / tasks;

  report('dask_k8s.first_task.ms', firstTaskAt - executeAt, 'ms (execute() call → first task started, from the task start times in the scheduler Job\'s logs)', 'quoted (issue 6)');
  report('dask_k8s.first_worker_running.ms', firstPodRunningAt - executeAt, 'ms (execute() call → first worker pod Running, polled every 100 ms)', 'informational');
  report('dask_k8s.ms_per_task', k8sPerTask, `ms/task (execute() → run ended, ${tasks} tasks, peak ${peak} worker pods)`, 'informational');
  report('dask_k8s.local.ms_per_task', localPerTask, `ms/task (LocalDaskCluster of ${maxWorkers} × 1 thread, start included, ${tasks} tasks)`, 'informational');
  report('dask_k8s.overhead.ratio', k8sPerTask / localPerTask, `ratio (per task, Kubernetes / LocalDaskCluster of ${maxWorkers} workers, one run each)`, 'quoted (issue 6)');
} finally {
  if (executor) await executor.close().catch(() => {});
  if (cluster) await cluster.close().catch(() => {});
  if (handle) await handle.cancel().catch(() => {});
  await until('the run\'s Jobs and pods to be gone', async () => {
    const selector = 'app.kubernetes.io/managed-by=flowenv';
    const [jobs, pods] = await Promise.all([
      batch.listNamespacedJob({ namespace, labelSelector: selector }),
      core.listNamespacedPod({ namespace, labelSelector: selector }),
    ]);
    return jobs.items.length + pods.items.length === 0 ? true : undefined;
  }, 90_000, 500).catch((error) => console.error(`cleanup: ${error.message}`));
  await core.deleteNamespace({ name: namespace }).catch((error) => {
    if (error.code !== 404) console.error(`cleanup: ${error.message}`);
  });
  await docker.getImage(storage.name).remove({ force: true }).catch((error) => {
    if (error.statusCode !== 404) console.error(`cleanup: ${error.message}`);
  });
}
