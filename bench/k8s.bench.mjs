// KubernetesJobEnvironment: how many Jobs the pure buildJobManifest renders per second (no YAML
// work per run: the spec is parsed once), and the time from an execute() call to its create request
// reaching the API server — measured with an in-process HTTP server standing in for kube-apiserver
// (plain HTTP on 127.0.0.1), so the figure is flowenv's own work plus the client, not the network.
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setLogLevel } from '@flowenv/core';
import { buildJobManifest, KubernetesJobEnvironment, loadJobSpec } from '@flowenv/env-k8s-job';
import { median, report } from './report.mjs';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const jobSpecFile = join(root, 'e2e', 'src', 'fixtures', 'k8s-job.yaml');

// ---------------------------------------------------------------------------------------- render
const spec = loadJobSpec(jobSpecFile).spec;
const input = {
  image: '127.0.0.1:45000/flows/hello:20261127-231005-a1b2c3',
  flowFilePath: '/opt/prefect/flows/hello.mjs',
  namespace: 'flows',
  identifier: randomUUID(),
  flowRunId: randomUUID(),
  graphqlUrl: 'http://127.0.0.1:4200/graphql/alpha',
  extraLoggers: ['my_logger'],
  authTokenSecret: { name: 'prefect-token', key: 'auth-token' },
  uniqueJobName: true,
  parameters: { who: 'Ada' },
};

function rendersPerSecond(durationMs) {
  let count = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let index = 0; index < 500; index++) buildJobManifest(spec, input);
    count += 500;
    elapsed = performance.now() - started;
  }
  return (count / elapsed) * 1000;
}

rendersPerSecond(500); // warm-up: JIT
const rates = [];
for (let round = 0; round < 5; round++) rates.push(rendersPerSecond(1000));
report('k8s.render.per_s', median(rates), 'Jobs/s (buildJobManifest, one core, median of 5 × 1 s)', '>=20000');

// ------------------------------------------------------------------------------ execute → create
setLogLevel('warn'); // one "Created Job" line per run is noise here
let arrived;
const server = createServer((request, response) => {
  arrived = performance.now();
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const job = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ ...job, metadata: { ...job.metadata, uid: randomUUID(), resourceVersion: '1' } }));
  });
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const kubeconfig = join(mkdtempSync(join(tmpdir(), 'flowenv-bench-')), 'config');
writeFileSync(kubeconfig, [
  'apiVersion: v1',
  'kind: Config',
  `clusters: [{ name: bench, cluster: { server: "http://127.0.0.1:${server.address().port}", insecure-skip-tls-verify: true } }]`,
  'users: [{ name: bench, user: { token: bench-token } }]',
  'contexts: [{ name: bench, context: { cluster: bench, user: bench, namespace: flows } }]',
  'current-context: bench',
  '',
].join('\n'));

const environment = new KubernetesJobEnvironment({ jobSpecFile, kubeConfig: kubeconfig });
const storage = { type: 'DockerStorage', name: input.image, labels: [], secrets: [], flows: {} };
const samples = [];
for (let run = 0; run < 60; run++) {
  arrived = undefined;
  const started = performance.now();
  await environment.execute(storage, input.flowFilePath, { parameters: { who: 'Ada' }, runContext: { flowRunId: randomUUID() } });
  // The first run loads the Kubernetes SDK and the kubeconfig (once per process): not counted.
  if (run >= 10) samples.push(arrived - started);
}
server.close();
report('k8s.execute_to_create.ms', median(samples), 'ms (median of 50 warm runs: execute() call → Job create request at the server)', '<=20');
