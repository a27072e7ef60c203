// DockerStorage against the test Docker engine and registry (tools/testenv/up docker registry):
// the example flow bundled into an image, health-checked, pushed, removed, pulled back and run with
// `flowenv execute` and the PREFECT__ variables a Kubernetes job gets (spec 6.2); health-check,
// base-image and registry failures; no registry password anywhere in the image or the build log.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FlowenvError, kubernetesJobEnv, loadFlow } from '@flowenv/core';
import { DockerStorage, flowExecuteCommand, flowExecuteNodeCommand, imageLabel, type DockerStorageOptions } from '@flowenv/storage-docker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient, findInStream, followProgress, removeImages, runContainer } from './fixtures/docker-engine.js';
import { repositoryRoot, requireServiceEnv } from './testenv.js';

const engine = requireServiceEnv('docker', ['DOCKER_HOST', 'FLOWENV_NODE_BASE_IMAGE']);
const registry = requireServiceEnv('registry', ['FLOWENV_REGISTRY_URL', 'FLOWENV_REGISTRY_USERNAME', 'FLOWENV_REGISTRY_PASSWORD']);
const docker = dockerClient(engine.DOCKER_HOST);
const helloFlowPath = join(repositoryRoot, 'examples', 'hello-flow.ts');
const fixtures = join(repositoryRoot, 'e2e', 'src', 'fixtures');
const suffix = randomBytes(3).toString('hex');
const createdImages = new Set<string>();

/** Collects what DockerStorage prints as progress. */
function progressLog(): { output: Writable; text: () => string } {
  const chunks: string[] = [];
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { output, text: () => chunks.join('') };
}

function storage(options: DockerStorageOptions = {}): DockerStorage {
  return new DockerStorage({
    registryUrl: registry.FLOWENV_REGISTRY_URL,
    baseImage: engine.FLOWENV_NODE_BASE_IMAGE,
    dockerHost: engine.DOCKER_HOST,
    registryUsername: registry.FLOWENV_REGISTRY_USERNAME,
    registryPassword: registry.FLOWENV_REGISTRY_PASSWORD,
    progress: 'lines',
    ...options,
  });
}

async function rejectionOf(promise: Promise<unknown>): Promise<FlowenvError> {
  try {
    await promise;
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

async function imageExists(name: string): Promise<boolean> {
  return docker.getImage(name).inspect().then(() => true, (error: { statusCode?: number }) => {
    if (error.statusCode === 404) return false;
    throw error;
  });
}

// Layers left by failed builds are dangling images with DockerStorage's label: remove the ones
// this suite made (those that were not there before it), not anyone else's.
let imagesBefore: Set<string>;

beforeAll(async () => {
  imagesBefore = new Set((await docker.listImages({ all: true })).map((image) => image.Id));
});

afterAll(async () => {
  await removeImages(docker, createdImages);
  const dangling = await docker.listImages({ all: true, filters: { dangling: ['true'], label: [imageLabel] } });
  await removeImages(docker, dangling.map((image) => image.Id).filter((id) => !imagesBefore.has(id)));
});

describe('DockerStorage: the example flow from build to run', () => {
  const log = progressLog();
  const helloStorage = storage({ imageName: `e2e/hello-${suffix}`, progressOutput: log.output });
  let location: string;
  let built: Awaited<ReturnType<DockerStorage['buildImage']>>;

  beforeAll(async () => {
    const flow = await loadFlow(helloFlowPath);
    location = await helloStorage.addFlow(flow, helloFlowPath);
    built = await helloStorage.buildImage({ push: true });
    createdImages.add(built.name);
  });

  it('bundles the flow to /opt/prefect/flows, builds, checks and pushes the image', async () => {
    expect(location).toBe('/opt/prefect/flows/hello.mjs');
    expect(built.name).toMatch(new RegExp(`^${registry.FLOWENV_REGISTRY_URL.replace(/\./g, '\\.')}/e2e/hello-${suffix}:\\d{8}-\\d{6}-[0-9a-f]{6}$`));
    expect(built.name).toBe(helloStorage.name);
    expect(built.pushed).toBe(true);
    expect(built.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const text = log.text();
    expect(text).toContain('[build]   flowenv-healthcheck: flow "hello" loads');
    expect(text).toContain('[build]   flowenv-healthcheck: 1 flow(s) ok');
    expect(text).toMatch(/\[push\] [0-9a-f]{12}: Pushed/);
    expect(text).toContain(`pushed ${built.name}@${built.digest}`);
    const image = await docker.getImage(built.name).inspect();
    expect(image.Config.Cmd).toEqual([...flowExecuteCommand]);
    expect(image.Config.Labels?.[imageLabel]).toBe('DockerStorage');
  });

  it('rebuilds with nothing changed from the cache, health check included', async () => {
    const again = progressLog();
    const rebuild = storage({ imageName: `e2e/hello-${suffix}`, imageTag: 'rebuilt', progressOutput: again.output });
    await rebuild.addFlow(await loadFlow(helloFlowPath), helloFlowPath);
    const result = await rebuild.buildImage({ push: false });
    createdImages.add(result.name);
    expect(result.pushed).toBe(false);
    expect(again.text()).toMatch(/\[build\] Step \d\/8 : RUN \["node", "\/opt\/flowenv\/healthcheck\.mjs"\]/);
    expect(again.text()).not.toContain('flowenv-healthcheck:');
    expect((await docker.getImage(result.name).inspect()).Id).toBe(built.imageId);
    // Only the pushed tag may remain, so that removing it below really removes the image.
    await docker.getImage(result.name).remove();
  });

  it('is pulled back from the registry after being removed locally, and runs with flowenv execute', async () => {
    await docker.getImage(built.name).remove({ force: true });
    expect(await imageExists(built.name)).toBe(false);
    const authconfig = { username: registry.FLOWENV_REGISTRY_USERNAME, password: registry.FLOWENV_REGISTRY_PASSWORD, serveraddress: registry.FLOWENV_REGISTRY_URL };
    await followProgress(docker, await docker.pull(built.name, { authconfig }));
    expect((await docker.getImage(built.name).inspect()).Id).toBe(built.imageId);

    const flowRunId = `run-${suffix}`;
    const env = kubernetesJobEnv({
      graphqlUrl: 'http://127.0.0.1:4200/graphql/alpha',
      authToken: { value: '' },
      flowRunId,
      namespace: 'default',
      image: built.name,
      flowFilePath: location,
      extraLoggers: [],
    }).map((variable) => `${variable.name}=${variable.value ?? ''}`);
    expect(env.map((entry) => entry.split('=')[0])).toEqual(expect.arrayContaining([
      'PREFECT__CONTEXT__FLOW_FILE_PATH',
      'PREFECT__CONTEXT__FLOW_RUN_ID',
      'PREFECT__CONTEXT__IMAGE',
    ]));

    const run = await runContainer(docker, { image: built.name, cmd: flowExecuteCommand, env });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('HELLO, WORLD! (10 letters)');
    expect(run.stdout).toMatch(/report\s+Success\s+1\s+\{"shout":"HELLO, WORLD!","letters":10\}/);
    expect(run.stdout).toMatch(/Flow "hello": Success in \d+ ms — 5 Success/);
  });

  it("runs the flow with the image's default command and with node directly, and fails clearly without a flow path", async () => {
    expect(flowExecuteCommand).toEqual(['flowenv', 'execute']);
    const run = await runContainer(docker, { image: built.name, env: [`PREFECT__CONTEXT__FLOW_FILE_PATH=${location}`] });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('Flow "hello": Success');
    const direct = await runContainer(docker, { image: built.name, cmd: flowExecuteNodeCommand, env: [`PREFECT__CONTEXT__FLOW_FILE_PATH=${location}`] });
    expect(direct.exitCode).toBe(0);
    expect(direct.stdout).toContain('Flow "hello": Success');
    const missing = await runContainer(docker, { image: built.name });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('set PREFECT__CONTEXT__FLOW_FILE_PATH');
  });

  it('has no trace of the registry password in its layers, history, config or build log', async () => {
    const password = registry.FLOWENV_REGISTRY_PASSWORD;
    const image = docker.getImage(built.name);
    // `docker save`: every layer and the config. The health check's own text is the control that
    // the search sees what the layers hold.
    const found = await findInStream(await image.get(), [password, 'flowenv-healthcheck:']);
    expect(found.has('flowenv-healthcheck:')).toBe(true);
    expect(found.has(password)).toBe(false);
    expect(JSON.stringify(await image.history())).not.toContain(password);
    expect(JSON.stringify(await image.inspect())).not.toContain(password);
    expect(log.text()).not.toContain(password);
    expect(JSON.stringify(helloStorage.serialize())).not.toContain(password);
  });

});

describe('DockerStorage: bad input', () => {
  it('fails the build when a flow cannot load inside the image, naming the flow', async () => {
    const failing = storage({ imageName: `e2e/fails-${suffix}`, imageTag: '1', progress: 'none' });
    const path = join(fixtures, 'fails-in-image-flow.ts');
    await failing.addFlow(await loadFlow(path), path);
    const error = await rejectionOf(failing.build({ push: true }));
    expect(error.code).toBe('IMAGE_HEALTH_CHECK_FAILED');
    expect(error.message).toBe(
      `Image ${failing.name} failed its health check: flow "fails-in-image": cannot be loaded from /opt/prefect/flows/fails-in-image.mjs: the settings file this flow reads at import is not in the image`,
    );
    expect(await imageExists(failing.name)).toBe(false);
  });

  it("fails the build when the environment's dependencies are missing from the image", async () => {
    const failing = storage({ imageName: `e2e/dependency-${suffix}`, imageTag: '1', progress: 'none' });
    const path = join(fixtures, 'missing-dependency-flow.ts');
    await failing.addFlow(await loadFlow(path), path);
    const error = await rejectionOf(failing.build({ push: false }));
    expect(error.code).toBe('IMAGE_HEALTH_CHECK_FAILED');
    expect(error.message).toContain('flow "missing-dependency": Using NeedsSdkEnvironment requires the `flowenv-sdk-that-is-not-installed` dependency');
  });

  it('names a base image the engine does not have, and pulls nothing', async () => {
    const baseImage = `flowenv/no-such-base-${suffix}:20`;
    const missing = storage({ imageName: `e2e/nobase-${suffix}`, imageTag: '1', baseImage, progress: 'none' });
    await missing.addFlow(await loadFlow(helloFlowPath), helloFlowPath);
    const error = await rejectionOf(missing.build({ push: false }));
    expect(error.code).toBe('BASE_IMAGE_MISSING');
    expect(error.message).toContain(`Base image ${baseImage} is not in the Docker engine at ${engine.DOCKER_HOST} (from the dockerHost option)`);
    expect(error.message).toContain('does not pull it unless pullBaseImage is true');
    expect(await imageExists(baseImage)).toBe(false);
  });

  it('reports refused registry credentials clearly, without the password', async () => {
    const wrongPassword = `wrong-${randomBytes(8).toString('hex')}`;
    const log = progressLog();
    const refused = storage({ imageName: `e2e/refused-${suffix}`, imageTag: '1', registryPassword: wrongPassword, progressOutput: log.output });
    await refused.addFlow(await loadFlow(helloFlowPath), helloFlowPath);
    const error = await rejectionOf(refused.build({ push: true }));
    createdImages.add(refused.name);
    expect(error.code).toBe('REGISTRY_AUTH_FAILED');
    expect(error.message).toBe(
      `Registry ${registry.FLOWENV_REGISTRY_URL} refused to let ${refused.name} be pushed as "${registry.FLOWENV_REGISTRY_USERNAME}" (unauthorized: authentication required): check registryUsername and registryPassword (or FLOWENV_REGISTRY_USERNAME and FLOWENV_REGISTRY_PASSWORD) and that this user may push there`,
    );
    expect(error.message).not.toContain(wrongPassword);
    expect(log.text()).not.toContain(wrongPassword);
  });

  it('names DOCKER_HOST-style hosts it cannot reach', async () => {
    const unreachable = storage({ imageName: `e2e/unreachable-${suffix}`, imageTag: '1', dockerHost: 'unix:///nonexistent/flowenv-e2e.sock', progress: 'none' });
    const error = await rejectionOf(unreachable.build({ push: false }));
    expect(error.code).toBe('DOCKER_UNREACHABLE');
    expect(error.message).toContain('Cannot reach the Docker engine at unix:///nonexistent/flowenv-e2e.sock (from the dockerHost option)');
  });
});
