// Build time of the hello flow's image with a warm Docker cache: DockerStorage.build() (build
// context, Dockerfile, engine build with its health check step) against a plain `docker build` CLI
// run of an equivalent hand-written Dockerfile holding the same files, in the same run, on the test
// engine (tools/testenv/up docker). Bundling the flow is addFlow's work (0.11 pickled in add_flow
// too): reported on its own. Rounds alternate between the two so machine load hits both alike.
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { loadFlow } from '@flowenv/core';
import { DockerStorage, flowExecuteCommand, imageLabel } from '@flowenv/storage-docker';
import { median, report } from './report.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const envFile = join(root, '.testenv', 'env');
let testenv;
try {
  testenv = Object.fromEntries(readFileSync(envFile, 'utf8').split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
} catch {
  throw new Error(`${envFile} is missing: run tools/testenv/up docker first`);
}
if (!testenv.DOCKER_HOST || !testenv.FLOWENV_NODE_BASE_IMAGE) throw new Error('The docker test service is not up: run tools/testenv/up docker');

const flowPath = join(root, 'examples', 'hello-flow.ts');
const repository = 'flowenv-bench/hello';
const handWritten = 'flowenv-bench/hand-written:warm';
const rounds = 9;
const docker = new Docker({ socketPath: testenv.DOCKER_HOST.replace(/^unix:\/\//, '') });
const imagesBefore = new Set((await docker.listImages({ all: true })).map((image) => image.Id));
const flow = await loadFlow(flowPath);

/** One DockerStorage round: addFlow (bundles the flow) then build (push off: no registry in the figure). */
async function storageBuild() {
  const storage = new DockerStorage({ imageName: repository, imageTag: 'warm', baseImage: testenv.FLOWENV_NODE_BASE_IMAGE, dockerHost: testenv.DOCKER_HOST, progress: 'none' });
  const started = performance.now();
  await storage.addFlow(flow, flowPath);
  const bundled = performance.now();
  await storage.build({ push: false });
  return { addFlow: bundled - started, build: performance.now() - bundled, storage };
}

// The same files, laid out by hand, with the Dockerfile one would write for them (no health check).
const first = await storageBuild();
const context = await mkdtemp(join(tmpdir(), 'flowenv-bench-docker-'));
for (const entry of await first.storage.buildContext()) {
  if (entry.path === 'Dockerfile' || entry.path === 'healthcheck.json' || entry.path.endsWith('healthcheck.mjs')) continue;
  await mkdir(dirname(join(context, entry.path)), { recursive: true });
  await writeFile(join(context, entry.path), entry.contents);
}
await writeFile(
  join(context, 'Dockerfile'),
  [
    `FROM ${testenv.FLOWENV_NODE_BASE_IMAGE}`,
    'COPY runtime/ /opt/flowenv/',
    'COPY bin/flowenv /usr/local/bin/flowenv',
    'COPY flows/ /opt/prefect/flows/',
    `CMD ${JSON.stringify(flowExecuteCommand)}`,
    '',
  ].join('\n'),
);

function cliBuild() {
  const started = performance.now();
  const child = spawnSync('docker', ['build', '-q', '-t', handWritten, context], {
    encoding: 'utf8',
    env: { ...process.env, DOCKER_HOST: testenv.DOCKER_HOST, DOCKER_BUILDKIT: '0' },
  });
  const elapsed = performance.now() - started;
  if (child.status !== 0) throw new Error(`docker build failed (${child.status}): ${child.stderr}`);
  return elapsed;
}

try {
  cliBuild(); // cold: fills the cache
  await storageBuild(); // warm from here on (the flowenv command is bundled once per process)
  const addFlowTimes = [];
  const buildTimes = [];
  const cliTimes = [];
  for (let round = 0; round < rounds; round++) {
    const measured = await storageBuild();
    addFlowTimes.push(measured.addFlow);
    buildTimes.push(measured.build);
    cliTimes.push(cliBuild());
  }
  const buildMs = median(buildTimes);
  const cliMs = median(cliTimes);
  report('docker.build_warm.storage_ms', buildMs, 'ms (DockerStorage.build, push off)', 'informational');
  report('docker.build_warm.docker_cli_ms', cliMs, 'ms (docker build of the hand-written Dockerfile)', 'informational');
  report('docker.build_warm.ratio', buildMs / cliMs, 'ratio (DockerStorage.build / docker build)', '<=1.2');
  report('docker.add_flow.ms', median(addFlowTimes), 'ms (bundle the hello flow with esbuild)', 'informational');
} finally {
  await rm(context, { recursive: true, force: true });
  for (const name of [`${repository}:warm`, handWritten]) await docker.getImage(name).remove({ force: true }).catch(() => {});
  const dangling = await docker.listImages({ all: true, filters: { dangling: ['true'], label: [imageLabel] } });
  for (const image of dangling) if (!imagesBefore.has(image.Id)) await docker.getImage(image.Id).remove({ force: true }).catch(() => {});
}
