// DaskExecutor overhead: 2,000 no-op TypeScript tasks through DaskExecutor (bridge, worker plugin,
// Node task hosts, TaskRunner) against 2,000 no-op Python tasks submitted with distributed.Client
// to the same cluster in the same run (a LocalDaskCluster of 2 workers x 1 thread started here,
// with FLOWENV_DASK_PYTHON from .testenv/env, so the testenv cluster's other users do not skew it).
// Both sides submit every task up front and wait for every result. Both name their tasks
// `noop-<index>`, so Dask files them under one task prefix on both sides (it learns their duration
// per prefix; 2,000 distinct prefixes cost Dask itself about 40% more per task).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlowRunner, loadFlow } from '@flowenv/core';
import { DaskExecutor, LocalDaskCluster } from '@flowenv/dask';
import { median, report } from './report.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tasks = 2000;
const rounds = 5;

function testenvPython() {
  try {
    const line = readFileSync(join(root, '.testenv', 'env'), 'utf8').split('\n').find((entry) => entry.startsWith('FLOWENV_DASK_PYTHON='));
    if (line) return line.slice('FLOWENV_DASK_PYTHON='.length);
  } catch {
    // fall through
  }
  throw new Error('FLOWENV_DASK_PYTHON is not in .testenv/env: run tools/testenv/up dask first');
}

// The flow lives under tmp/ of the repository so that it resolves @flowenv/core like any flow file.
const workDirectory = join(root, 'tmp', 'bench-dask');
mkdirSync(workDirectory, { recursive: true });
const flowPath = join(workDirectory, 'noop-flow.mjs');
writeFileSync(flowPath, `import { Flow } from '@flowenv/core';
const flow = new Flow({ name: 'dask-noop' });
for (let index = 0; index < ${tasks}; index++) flow.task(\`noop-\${index}\`, () => index);
export default flow;
`);

// The Python side: the same cluster, distributed.Client, one submit per task, then gather them all.
const pythonBench = `
import json, sys, time
from distributed import Client
def noop(value):
    return value
address, tasks, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with Client(address, timeout=30) as client:
    samples = []
    for round in range(rounds + 1):  # the first round warms up
        started = time.perf_counter()
        futures = [client.submit(noop, index, key=f"noop-{round}-{index}", pure=False) for index in range(tasks)]
        results = client.gather(futures)
        elapsed = time.perf_counter() - started
        assert results == list(range(tasks))
        del futures
        if round > 0:
            samples.append(elapsed * 1000 / tasks)
    print(json.dumps(samples))
`;

const python = testenvPython();
const cluster = await LocalDaskCluster.start({ workers: 2, threadsPerWorker: 1, python });
const executor = new DaskExecutor({ address: cluster.address, python });
try {
  const flow = await loadFlow(flowPath);
  const runOnce = async () => {
    const started = performance.now();
    const result = await new FlowRunner({ flow }).run({ executor });
    const elapsed = performance.now() - started;
    if (result.state !== 'Success') throw new Error(`benchmark flow failed: ${result.message}`);
    if (result.tasks['noop-1999']?.result !== 1999) throw new Error('wrong result');
    return elapsed / tasks;
  };

  // Interleave the two sides, so a change of machine load hits both alike.
  const tsSamples = [];
  const pySamples = [];
  await runOnce(); // warm-up: starts the task hosts and imports the flow on each
  for (let round = 0; round < rounds; round++) {
    tsSamples.push(await runOnce());
    const child = spawnSync(python, ['-c', pythonBench, cluster.address, String(tasks), '1'], { encoding: 'utf8', cwd: '/' });
    if (child.status !== 0) throw new Error(`python benchmark failed: ${child.stderr}`);
    pySamples.push(...JSON.parse(child.stdout));
  }
  const ts = median(tsSamples);
  const py = median(pySamples);
  report('dask.ts.ms_per_task', ts, 'ms/task', 'informational');
  report('dask.py.ms_per_task', py, 'ms/task', 'informational');
  report('dask.ts_vs_py.ratio', ts / py, 'ratio (TS / Python)', '<=1.5 (stretch <=1.2)');
} finally {
  await executor.close();
  await cluster.close();
}
