// Re-records the Docker progress streams that the unit tests of map-docker-error and
// progress-reporter replay (src/__fixtures__/streams/*.jsonl), from the test engine and registry:
//   npx tsc --build tsconfig.build.json && tools/testenv/up docker registry
//   node packages/storage-docker/scripts/record-docker-streams.mjs
// Everything it builds or tags is removed again at the end.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { loadFlow } from '@flowenv/core';
import { DockerStorage } from '@flowenv/storage-docker';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const repositoryRoot = join(packageRoot, '..', '..');
// This package's own tar-stream (3.x; the one at the root is dockerode's 2.x).
const tar = createRequire(join(packageRoot, 'package.json'))('tar-stream');
const { readDockerStream } = await import(join(packageRoot, 'dist', 'read-docker-stream.js'));
const { packBuildContext } = await import(join(packageRoot, 'dist', 'build-context.js'));

const env = Object.fromEntries(
  readFileSync(join(repositoryRoot, '.testenv', 'env'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('='))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);
const docker = new Docker({ socketPath: env.DOCKER_HOST.replace(/^unix:\/\//, '') });
const fixtures = join(packageRoot, 'src', '__fixtures__');
const imagesBefore = new Set((await docker.listImages({ all: true })).map((image) => image.Id));
const save = (name, events) => writeFileSync(join(fixtures, 'streams', `${name}.jsonl`), `${events.map((event) => JSON.stringify(event)).join('\n')}\n`);

/** The build stream of a DockerStorage image holding one fixture flow. */
async function storageBuild(file, tag) {
  const storage = new DockerStorage({ imageName: 'record/streams', imageTag: tag, baseImage: env.FLOWENV_NODE_BASE_IMAGE });
  await storage.addFlow(await loadFlow(join(fixtures, file)), join(fixtures, file));
  const stream = await docker.buildImage(await packBuildContext(await storage.buildContext()), { t: `record/streams:${tag}`, rm: true, forcerm: true });
  return readDockerStream(stream);
}

/** The build stream of a hand-written Dockerfile. */
async function handBuild(dockerfile, files = {}) {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, dockerfile);
  for (const [name, contents] of Object.entries(files)) pack.entry({ name }, contents);
  pack.finalize();
  return readDockerStream(await docker.buildImage(Readable.from(pack), { t: 'record/streams:hand', rm: true, forcerm: true }));
}

const repository = `${env.FLOWENV_REGISTRY_URL}/record/streams`;
try {
  save('build-success', await storageBuild('hello-flow.ts', 'ok'));
  save('build-health-check-load-failure', await storageBuild('fails-in-image-flow.ts', 'load'));
  save('build-health-check-missing-dependency', await storageBuild('missing-dependency-flow.ts', 'dependency'));
  save('build-run-step-failure', await handBuild(
    `FROM ${env.FLOWENV_NODE_BASE_IMAGE}\nCOPY a.txt /a.txt\nRUN ["node", "-e", "console.log('compiling'); console.error('out of cheese'); process.exit(3)"]\n`,
    { 'a.txt': 'a' },
  ));
  save('build-copy-failure', await handBuild(`FROM ${env.FLOWENV_NODE_BASE_IMAGE}\nCOPY ["missing.txt", "/missing.txt"]\n`));
  save('build-missing-base-image', await handBuild(`FROM ${env.FLOWENV_REGISTRY_URL}/flowenv/no-such-base:1\n`));

  await docker.getImage('record/streams:ok').tag({ repo: repository, tag: 'ok' });
  const credentials = { username: env.FLOWENV_REGISTRY_USERNAME, serveraddress: env.FLOWENV_REGISTRY_URL };
  save('push-unauthorized', await readDockerStream(await docker.getImage(repository).push({ tag: 'ok', authconfig: { ...credentials, password: 'not-the-password' } })));
  save('push-no-credentials', await readDockerStream(await docker.getImage(repository).push({ tag: 'ok' })));
  save('push-success', await readDockerStream(await docker.getImage(repository).push({ tag: 'ok', authconfig: { ...credentials, password: env.FLOWENV_REGISTRY_PASSWORD } })));
} finally {
  for (const name of ['record/streams:ok', `${repository}:ok`, 'record/streams:hand']) await docker.getImage(name).remove({ force: true }).catch(() => {});
  // Layers of the failed builds: untagged images that were not there before this script.
  const left = await docker.listImages({ all: true, filters: { dangling: ['true'] } });
  for (const image of left) if (!imagesBefore.has(image.Id)) await docker.getImage(image.Id).remove({ force: true }).catch(() => {});
}
console.log('recorded into', join(fixtures, 'streams'));
