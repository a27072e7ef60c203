// DaskCloudProviderEnvironment's FargateCluster provider against moto (tools/testenv/up moto): AWS
// API calls (counted with SDK middleware) and wall time to create a cluster with everything
// created for the run (cluster, log group, execution role, security group, two task definitions,
// scheduler and 2 workers) and to tear it all down. moto answers in-process and starts no
// containers, so the times are flowenv's own overhead, not Fargate's start-up.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setLogLevel } from '@flowenv/core';
import { createAwsClients, EcsDaskClusterProvider } from '@flowenv/env-dask-cloudprovider';
import { median, report } from './report.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const testenv = Object.fromEntries(
  readFileSync(join(root, '.testenv', 'env'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('='))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);
for (const name of ['FLOWENV_AWS_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) {
  if (!testenv[name]) throw new Error(`${name} is missing from .testenv/env: run tools/testenv/up moto`);
}

let calls = 0;
function countingClients(settings) {
  const clients = createAwsClients(settings);
  for (const client of [clients.ecs, clients.ec2, clients.iam, clients.logs]) {
    client.middlewareStack.add((next) => async (args) => {
      calls++;
      return next(args);
    }, { step: 'initialize', name: 'benchCallCounter' });
  }
  return clients;
}

const options = {
  image: 'registry.example/flow:1',
  nWorkers: 2,
  endpoint: testenv.FLOWENV_AWS_ENDPOINT,
  regionName: testenv.AWS_REGION,
  awsAccessKeyId: testenv.AWS_ACCESS_KEY_ID,
  awsSecretAccessKey: testenv.AWS_SECRET_ACCESS_KEY,
  familyPrefix: `flowenv-bench-${randomUUID().slice(0, 8)}`,
  pollIntervalMs: 100,
  createClients: countingClients,
};
const logger = { name: 'bench', debug() {}, info() {}, warn: console.warn, error: console.error, critical: console.error };

/** One cluster's life: calls and milliseconds to create it, and to tear it down. */
async function oneCluster() {
  const provider = new EcsDaskClusterProvider('FargateCluster');
  calls = 0;
  let started = performance.now();
  await provider.create(options, { runId: randomUUID(), logger });
  const create = { calls, ms: performance.now() - started };
  calls = 0;
  started = performance.now();
  await provider.close();
  const teardown = { calls, ms: performance.now() - started };
  if (provider.resources.length > 0) throw new Error(`teardown left ${provider.resources.length} resources`);
  return { create, teardown };
}

setLogLevel('warn');
await oneCluster(); // warm-up: SDK clients, moto's first answers
const runs = [];
for (let run = 0; run < 5; run++) runs.push(await oneCluster());
report('cloudprovider.create.api_calls', Math.max(...runs.map((run) => run.create.calls)), 'calls/cluster (max of 5; everything created, 2 workers)', '<=15');
report('cloudprovider.create.ms', median(runs.map((run) => run.create.ms)), 'ms (median of 5, moto)', '<=1000');
report('cloudprovider.teardown.api_calls', Math.max(...runs.map((run) => run.teardown.calls)), 'calls/cluster (max of 5)', '<=16');
report('cloudprovider.teardown.ms', median(runs.map((run) => run.teardown.ms)), 'ms (median of 5, moto)', '<=1000');
