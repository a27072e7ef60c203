import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { Flow, FlowenvError, flowenvVersion, hasContainerImage } from '@flowenv/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFlow } from './bundle-flow.js';
import { assertNoSecretIn, DockerStorage } from './docker-storage.js';
import { defaultBaseImage, defaultFlowsDirectory } from './image-layout.js';

const fixtures = fileURLToPath(new URL('./__fixtures__/', import.meta.url));
const helloFixture = join(fixtures, 'hello-flow.ts');
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'flowenv-docker-storage-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Sets (undefined: removes) process variables for the duration of `body`. */
async function withVariables<T>(variables: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const previous = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(variables);
  try {
    return await body();
  } finally {
    apply(previous);
  }
}

function errorOf(run: () => unknown): FlowenvError {
  try {
    run();
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('DockerStorage name (spec 8.10)', () => {
  it('joins registry, image and tag, and is an error while they are unset (test_docker_storage_name)', () => {
    const storage = new DockerStorage();
    expect(errorOf(() => storage.name).code).toBe('STORAGE_INVALID');
    storage.registryUrl = 'test1';
    storage.imageName = 'test2';
    expect(() => storage.name).toThrow(/imageTag unset/);
    storage.imageTag = 'test3';
    expect(storage.name).toBe('test1/test2:test3');
  });

  it('leaves the registry out when there is none (test_docker_storage_name_registry_url_none)', () => {
    expect(new DockerStorage({ imageName: 'test2', imageTag: 'test3' }).name).toBe('test2:test3');
  });

  it('is a container image storage with no labels', () => {
    const storage = new DockerStorage({ imageName: 'x', imageTag: 'y' });
    expect(hasContainerImage(storage)).toBe(true);
    expect(storage.type).toBe('DockerStorage');
    expect(storage.labels).toEqual([]);
  });
});

describe('DockerStorage options', () => {
  it('has documented defaults', () => {
    const storage = new DockerStorage();
    expect(storage.baseImage).toBe(defaultBaseImage);
    expect(storage.flowsDirectory).toBe(defaultFlowsDirectory);
    expect(storage.flowsDirectory).toBe('/opt/prefect/flows');
    expect(storage.pullBaseImage).toBe(false);
    expect([storage.registryUrl, storage.imageName, storage.imageTag]).toEqual([undefined, undefined, undefined]);
    expect(storage.secrets).toEqual([]);
    expect(storage.env).toEqual({});
    expect(storage.files).toEqual({});
  });

  it.each([
    [{ imageName: 'My Flows' }, '`imageName`: expected a lower-case Docker repository name'],
    [{ imageTag: '-latest' }, '`imageTag`: expected a Docker tag'],
    [{ registryUrl: 'https://registry.example.com/team' }, '`registryUrl`: expected a registry host with an optional port and path, without a scheme'],
    [{ env: { 'NOT-A-NAME': 'x' } }, '`env.NOT-A-NAME`: expected a variable name'],
    [{ env: { MULTI: 'a\nb' } }, '`env.MULTI`: must be one line'],
    [{ files: { 'a.txt': 'relative/a.txt' } }, '`files.a.txt`: expected an absolute path inside the image'],
    [{ flowsDirectory: 'flows' }, '`flowsDirectory`: expected an absolute path inside the image'],
    [{ secrets: ['ok', ''] }, '`secrets.1`'],
    [{ progress: 'fancy' }, '`progress`'],
    [{ nodeTarget: 'es2020' }, '`nodeTarget`: expected an esbuild node target'],
    [{ imageNmae: 'typo' }, 'imageNmae'],
  ])('rejects %j with the field path', (options, message) => {
    const error = errorOf(() => new DockerStorage(options as never));
    expect(error.code).toBe('OPTIONS_INVALID');
    expect(error.message).toMatch(/^DockerStorage: invalid options: /);
    expect(error.message).toContain(message);
  });
});

describe('DockerStorage flows (spec 8.10)', () => {
  it('bundles a flow to <flowsDirectory>/<slug>.mjs and lists it', async () => {
    const storage = new DockerStorage();
    const flow = new Flow({ name: 'hello docker?!~' });
    const location = await storage.addFlow(flow, helloFixture);
    expect(location).toBe('/opt/prefect/flows/hello-docker.mjs');
    expect(storage.flows).toEqual({ 'hello docker?!~': location });
  }, 30_000);

  it('cleans weird names (test_add_flow_with_weird_name_is_cleaned)', async () => {
    const storage = new DockerStorage({ flowsDirectory: '/srv/flows' });
    const location = await storage.addFlow(new Flow({ name: 'WELL what do you know?!~? looks like a test!!!!' }), helloFixture);
    for (const character of ['?', '!', '~', ' ']) expect(location).not.toContain(character);
    expect(location).toBe('/srv/flows/well-what-do-you-know-looks-like-a-test.mjs');
  }, 30_000);

  it('refuses a second flow of the same name (test_add_similar_flows_fails), or of the same slug', async () => {
    const storage = new DockerStorage();
    await storage.addFlow(new Flow({ name: 'same' }), helloFixture);
    await expect(storage.addFlow(new Flow({ name: 'same' }), helloFixture)).rejects.toThrow('Name conflict: DockerStorage already holds a flow named "same"');
    await expect(storage.addFlow(new Flow({ name: 'Same!' }), helloFixture)).rejects.toThrow(
      'Name conflict: flows "same" and "Same!" would both be stored at /opt/prefect/flows/same.mjs',
    );
    expect(Object.keys(storage.flows)).toEqual(['same']);
  }, 30_000);

  it('needs the module file of a flow', async () => {
    const storage = new DockerStorage();
    await expect(storage.addFlow(new Flow({ name: 'nowhere' }))).rejects.toMatchObject({ code: 'STORAGE_INVALID', message: expect.stringContaining('has no module file') });
    const flow = new Flow({ name: 'from-location' });
    flow.location = helloFixture;
    await expect(storage.addFlow(flow)).resolves.toBe('/opt/prefect/flows/from-location.mjs');
  }, 30_000);

  it('forgets a flow whose bundle failed', async () => {
    const broken = join(directory, 'broken.ts');
    await writeFile(broken, "import x from 'flowenv-no-such-package';\nexport default x;\n");
    const storage = new DockerStorage();
    await expect(storage.addFlow(new Flow({ name: 'broken' }), broken)).rejects.toMatchObject({ code: 'FLOW_BUNDLE_FAILED' });
    expect(storage.flows).toEqual({});
  });

  it('loads a flow from its path (test_docker_storage_get_flow_method)', async () => {
    const location = join(directory, 'hello-docker.mjs');
    const bundle = await bundleFlow({ sourcePath: helloFixture, location, conditions: ['@flowenv/source'] });
    for (const file of bundle.files) await writeFile(file.path, file.contents);
    const flow = await new DockerStorage().getFlow(location);
    expect(Flow.isFlow(flow)).toBe(true);
    expect(flow.name).toBe('hello docker?!~');
  }, 30_000);
});

describe('DockerStorage build context', () => {
  it('holds the Dockerfile, extra files, the flowenv command, the flow bundles and the health check', async () => {
    await writeFile(join(directory, 'settings.json'), '{"debug":false}');
    const storage = new DockerStorage({
      baseImage: 'flowenv/node-base:20',
      env: { GREETING: 'hi' },
      files: { [join(directory, 'settings.json')]: '/etc/flows/settings.json' },
    });
    await storage.addFlow(new Flow({ name: 'hello docker?!~' }), helloFixture);
    const entries = await storage.buildContext();
    expect(entries.map((entry) => entry.path)).toEqual([
      'Dockerfile',
      'files/0/settings.json',
      'runtime/flowenv.mjs',
      'runtime/flowenv.mjs.map',
      'runtime/healthcheck.mjs',
      'bin/flowenv',
      'flows/hello-docker.mjs',
      'flows/hello-docker.mjs.map',
      'healthcheck.json',
    ]);
    const text = (path: string) => entries.find((entry) => entry.path === path)?.contents.toString() as string;
    expect(text('Dockerfile')).toBe(
      [
        '# Generated by @flowenv/storage-docker from the DockerStorage options.',
        'FROM flowenv/node-base:20',
        'LABEL org.flowenv.storage="DockerStorage"',
        'ENV GREETING="hi"',
        'COPY ["files/0/settings.json", "/etc/flows/settings.json"]',
        'COPY ["runtime/", "/opt/flowenv/"]',
        'COPY ["bin/flowenv", "/usr/local/bin/flowenv"]',
        'COPY ["flows/", "/opt/prefect/flows/"]',
        'COPY ["healthcheck.json", "/opt/flowenv/healthcheck.json"]',
        'RUN ["node", "/opt/flowenv/healthcheck.mjs"]',
        'CMD ["flowenv", "execute"]',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(text('healthcheck.json'))).toEqual({
      flows: [{ name: 'hello docker?!~', location: '/opt/prefect/flows/hello-docker.mjs', bundledPackages: expect.arrayContaining(['@flowenv/core']) }],
      command: '/usr/local/bin/flowenv',
    });
    expect(entries.find((entry) => entry.path === 'bin/flowenv')?.mode).toBe(0o755);
    expect(text('runtime/flowenv.mjs')).toContain('flowenv execute');
    expect(text('runtime/flowenv.mjs')).not.toMatch(/from ["']@flowenv\/(cli|core)["']/);
  }, 60_000);
});

describe('DockerStorage serialize and credentials', () => {
  const password = 'pw-that-must-never-show-7f3a';

  it('serializes the 0.11 fields and no credentials', async () => {
    const storage = new DockerStorage({
      registryUrl: '127.0.0.1:5000',
      imageName: 'flows',
      imageTag: '1',
      secrets: ['API_TOKEN'],
      registryUsername: 'ci',
      registryPassword: password,
    });
    await storage.addFlow(new Flow({ name: 'hello' }), helloFixture);
    expect(storage.serialize()).toEqual({
      type: 'DockerStorage',
      registry_url: '127.0.0.1:5000',
      image_name: 'flows',
      image_tag: '1',
      flows: { hello: '/opt/prefect/flows/hello.mjs' },
      secrets: ['API_TOKEN'],
      __version__: flowenvVersion,
    });
    for (const text of [JSON.stringify(storage.serialize()), JSON.stringify(storage), inspect(storage, { depth: 5, showHidden: true }), String(storage)]) {
      expect(text).not.toContain(password);
    }
  }, 30_000);

  it('serializes unset names as null, as 0.11 did before build', () => {
    expect(new DockerStorage().serialize()).toMatchObject({ registry_url: null, image_name: null, image_tag: null, flows: {}, secrets: [] });
  });

  it('refuses a build context that contains the registry password', () => {
    const entries = [
      { path: 'Dockerfile', contents: Buffer.from('FROM x\n'), imagePath: '(Dockerfile)' },
      { path: 'flows/leaky.mjs', contents: Buffer.from(`const password = "${password}";`), imagePath: '/opt/prefect/flows/leaky.mjs' },
    ];
    const error = errorOf(() => assertNoSecretIn(entries, password, 'r/x:1'));
    expect(error.code).toBe('STORAGE_INVALID');
    expect(error.message).toBe(
      'DockerStorage: the registry password appears in /opt/prefect/flows/leaky.mjs (build context flows/leaky.mjs), and would be readable by anyone who can pull r/x:1. Read it from FLOWENV_REGISTRY_PASSWORD (or process.env) instead of writing it into the flow, its env or its files.',
    );
    expect(error.message).not.toContain(password);
    const inEnv = [{ path: 'Dockerfile', contents: Buffer.from(`ENV P="${password}"`), imagePath: '(Dockerfile)' }];
    expect(errorOf(() => assertNoSecretIn(inEnv, password, 'r/x:1')).message).toContain('appears in the Dockerfile (an `env` value)');
    expect(() => assertNoSecretIn(entries.slice(0, 1), password, 'r/x:1')).not.toThrow();
    expect(() => assertNoSecretIn(entries, undefined, 'r/x:1')).not.toThrow();
  });
});

describe('DockerStorage build without an engine', () => {
  it('needs a registry user and password together, checked at build (the constructor also runs in the image)', async () => {
    const storage = new DockerStorage({ imageName: 'x', imageTag: '1', registryUsername: 'ci', dockerHost: `unix://${join(directory, 'none.sock')}`, progress: 'none' });
    await withVariables({ FLOWENV_REGISTRY_USERNAME: undefined, FLOWENV_REGISTRY_PASSWORD: undefined }, async () => {
      await expect(storage.build({ push: false })).rejects.toMatchObject({
        code: 'OPTIONS_INVALID',
        message: expect.stringContaining('a registry user but no password: pass registryUsername and registryPassword together'),
      });
    });
  });

  it('names the dockerHost option when the engine cannot be reached', async () => {
    const socket = join(directory, 'no-engine.sock');
    const storage = new DockerStorage({ imageName: 'x', imageTag: '1', dockerHost: `unix://${socket}`, progress: 'none' });
    await expect(storage.build({ push: false })).rejects.toMatchObject({
      code: 'DOCKER_UNREACHABLE',
      retryable: true,
      message: `Cannot reach the Docker engine at unix://${socket} (from the dockerHost option) while connecting: connect ENOENT ${socket}. Start the engine, or point DOCKER_HOST (or the dockerHost option) at a running one.`,
    });
  });

  it('names DOCKER_HOST when that is where the engine came from', async () => {
    const socket = join(directory, 'from-variable.sock');
    await withVariables({ DOCKER_HOST: `unix://${socket}` }, async () => {
      const storage = new DockerStorage({ imageName: 'x', imageTag: '1', progress: 'none' });
      await expect(storage.build({ push: false })).rejects.toThrow(`Cannot reach the Docker engine at unix://${socket} (from DOCKER_HOST)`);
    });
  });

  it('picks the image name and a unique tag at build, as 0.11', async () => {
    const storage = new DockerStorage({ dockerHost: `unix://${join(directory, 'none.sock')}`, progress: 'none' });
    await storage.addFlow(new Flow({ name: 'Only Flow' }), helloFixture);
    await expect(storage.build()).rejects.toMatchObject({ code: 'DOCKER_UNREACHABLE' });
    expect(storage.imageName).toBe('only-flow');
    expect(storage.imageTag).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
    expect(storage.name).toBe(`only-flow:${storage.imageTag as string}`);
  }, 30_000);
});
