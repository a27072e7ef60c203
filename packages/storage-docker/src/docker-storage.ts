import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type Docker from 'dockerode';
import {
  createLogger,
  FlowenvError,
  flowenvVersion,
  loadFlow,
  parseOptions,
  processEnvironment,
  registerSecretValue,
  type ContainerImageStorage,
  type Flow,
  type FlowenvErrorCode,
} from '@flowenv/core';
import { buildContextEntries, packBuildContext, type ContextEntry } from './build-context.js';
import { buildDockerfile } from './build-dockerfile.js';
import { bundleDaskRuntime, needsDaskRuntime, type DaskRuntime } from './bundle-dask-runtime.js';
import { bundleFlow, type FlowBundle } from './bundle-flow.js';
import { bundleFlowenvCommand } from './bundle-flowenv-command.js';
import { collectExtraFiles } from './collect-extra-files.js';
import { createDockerClient } from './docker-client.js';
import { resolveDockerConnection, type DockerConnection } from './docker-connection.js';
import { dockerStorageOptionsSchema, type DockerConnectionOptions, type DockerStorageOptions, type ProgressMode } from './docker-storage-options.js';
import { flowLocation } from './flow-slug.js';
import { healthCheckScript, type HealthCheckPlan } from './health-check.js';
import { defaultBaseImage, defaultFlowsDirectory, flowenvCommandPath, flowenvCommandScript, flowenvEntryPath, healthCheckPath } from './image-layout.js';
import { defaultImageName, defaultImageTag, fullImageName, imageRepository, registryHost } from './image-name.js';
import { mapBuildStreamError, mapDockerApiError, mapPullStreamError, mapPushStreamError } from './map-docker-error.js';
import { createProgressReporter, resolveProgressMode, type ProgressReporter } from './progress-reporter.js';
import { readDockerStream, type DockerStreamEvent } from './read-docker-stream.js';

export interface DockerBuildOptions {
  /** Push the image to `registryUrl` after the build (default `true`, as 0.11; without a registry it warns and skips). */
  push?: boolean;
}

export interface DockerBuildResult {
  /** The full image name, `<registry>/<image>:<tag>`. */
  name: string;
  /** The engine's id of the built image (`sha256:…`). */
  imageId: string;
  pushed: boolean;
  /** The registry's digest of the pushed image (`sha256:…`), when pushed. */
  digest: string | undefined;
}

// Under the test runner this package runs from its TypeScript sources: bundle the flowenv packages
// from theirs too (the "@flowenv/source" export condition), so no build is needed first.
const bundleConditions: readonly string[] = import.meta.url.endsWith('.ts') ? ['@flowenv/source'] : [];

interface StoredFlow extends FlowBundle {
  name: string;
  /** The flow environment's `dependencies`: '@flowenv/dask' puts its worker files into the image. */
  dependencies: string[];
}

interface RegistryCredentials {
  username: string;
  password: string;
}

/**
 * Flows kept in a Docker image (Prefect 0.11's Docker storage): each flow module is bundled with
 * esbuild into one self-contained ESM file at `<flowsDirectory>/<slug>.mjs`; build() builds an image
 * FROM `baseImage` holding them and the `flowenv` command, checks that every flow loads inside it,
 * and pushes it to `registryUrl`. Containerized environments run `flowenv execute` in it
 * (`flowExecuteCommand`).
 */
export class DockerStorage implements ContainerImageStorage {
  readonly type = 'DockerStorage';
  /** Registry the image is pushed to; none: built locally only. */
  registryUrl: string | undefined;
  /** Repository name; build() picks one when unset. */
  imageName: string | undefined;
  /** Tag; build() picks a unique one when unset. */
  imageTag: string | undefined;
  readonly baseImage: string;
  readonly pullBaseImage: boolean;
  readonly env: Readonly<Record<string, string>>;
  readonly files: Readonly<Record<string, string>>;
  readonly secrets: readonly string[];
  readonly flowsDirectory: string;
  private readonly dockerHost: string | undefined;
  private readonly dockerOptions: DockerConnectionOptions | undefined;
  private readonly progress: ProgressMode;
  private readonly progressOutput: Writable | undefined;
  private readonly nodeTarget: string;
  // A private field: never enumerated, so JSON.stringify, util.inspect and logs cannot show it.
  readonly #credentials: Partial<RegistryCredentials>;
  private readonly stored: Record<string, string> = {};
  private readonly bundles = new Map<string, StoredFlow>();
  private readonly logger = createLogger('flowenv.DockerStorage');

  constructor(options: DockerStorageOptions = {}) {
    const parsed = parseOptions('DockerStorage', dockerStorageOptionsSchema, options);
    this.registryUrl = parsed.registryUrl ?? undefined;
    this.imageName = parsed.imageName ?? undefined;
    this.imageTag = parsed.imageTag ?? undefined;
    this.baseImage = parsed.baseImage ?? defaultBaseImage;
    this.pullBaseImage = parsed.pullBaseImage ?? false;
    this.env = { ...(parsed.env ?? {}) };
    this.files = { ...(parsed.files ?? {}) };
    this.secrets = [...(parsed.secrets ?? [])];
    this.flowsDirectory = parsed.flowsDirectory ?? defaultFlowsDirectory;
    this.dockerHost = parsed.dockerHost ?? undefined;
    this.dockerOptions = (parsed.dockerOptions as DockerConnectionOptions | null | undefined) ?? undefined;
    this.progress = parsed.progress ?? 'auto';
    this.progressOutput = parsed.progressOutput ?? undefined;
    this.nodeTarget = parsed.nodeTarget ?? 'node20';
    this.#credentials = {
      ...(parsed.registryUsername == null ? {} : { username: parsed.registryUsername }),
      ...(parsed.registryPassword == null ? {} : { password: parsed.registryPassword }),
    };
    registerSecretValue(parsed.registryPassword);
  }

  /** Docker storage adds no labels (0.11). */
  get labels(): readonly string[] {
    return [];
  }

  get flows(): Readonly<Record<string, string>> {
    return this.stored;
  }

  /** `<registry>/<image>:<tag>`; an error until the image name and tag are known (set, or picked by build()). */
  get name(): string {
    return fullImageName(this);
  }

  /**
   * Bundles the flow's module (default: the file it was loaded from) into one ESM file and returns
   * its path in the image, `<flowsDirectory>/<slug>.mjs`. Two flows may not share a name or a slug.
   */
  async addFlow(flow: Flow, sourcePath: string | undefined = flow.location): Promise<string> {
    if (sourcePath === undefined) {
      throw new FlowenvError({
        code: 'STORAGE_INVALID',
        message: `DockerStorage: flow "${flow.name}" has no module file; pass its path to addFlow(flow, path)`,
      });
    }
    if (Object.hasOwn(this.stored, flow.name)) {
      throw new FlowenvError({ code: 'STORAGE_INVALID', message: `Name conflict: DockerStorage already holds a flow named "${flow.name}"` });
    }
    const location = flowLocation(this.flowsDirectory, flow.name);
    const sameLocation = Object.entries(this.stored).find(([, stored]) => stored === location);
    if (sameLocation !== undefined) {
      throw new FlowenvError({
        code: 'STORAGE_INVALID',
        message: `Name conflict: flows "${sameLocation[0]}" and "${flow.name}" would both be stored at ${location}; rename one of them`,
      });
    }
    this.stored[flow.name] = location; // reserved before the await: a concurrent addFlow sees it
    try {
      const bundle = await bundleFlow({ sourcePath: resolve(sourcePath), location, conditions: bundleConditions, target: this.nodeTarget });
      this.bundles.set(flow.name, { ...bundle, name: flow.name, dependencies: flow.environment?.dependencies ?? [] });
    } catch (error) {
      delete this.stored[flow.name];
      throw error;
    }
    return location;
  }

  /** Loads the flow at `location`, a path inside the image this process runs in (what `flowenv execute` does). */
  async getFlow(location: string): Promise<Flow> {
    return loadFlow(location);
  }

  /**
   * Builds the image (through the engine at DOCKER_HOST), checks every flow loads in it, then pushes
   * it to `registryUrl` with the registry credentials. Picks the image name and tag when unset.
   * {@link buildImage} does the same and says what it built.
   */
  async build(options: DockerBuildOptions = {}): Promise<void> {
    await this.buildImage(options);
  }

  /** {@link build}, returning the image's name, id and (when pushed) digest. */
  async buildImage(options: DockerBuildOptions = {}): Promise<DockerBuildResult> {
    const push = options.push ?? true;
    this.imageName ??= defaultImageName(Object.keys(this.stored));
    this.imageTag ??= defaultImageTag();
    const name = this.name;
    const environment = processEnvironment();
    const credentials = this.registryCredentials(environment);
    const connection = resolveDockerConnection({ dockerHost: this.dockerHost, dockerOptions: this.dockerOptions }, environment);
    const output = this.progressOutput ?? process.stderr;
    const reporter = createProgressReporter(resolveProgressMode(this.progress, output), output);
    const docker = await createDockerClient(connection);
    const engine = <T>(operation: string, code: FlowenvErrorCode, call: () => Promise<T>): Promise<T> =>
      call().catch((error: unknown) => {
        reporter.interrupted();
        throw mapDockerApiError(error, { engine: connection.description, operation, code });
      });

    await engine('connecting', 'DOCKER_UNREACHABLE', () => docker.ping());
    await this.ensureBaseImage(docker, connection, credentials, reporter, engine);
    const entries = await this.buildContext();
    assertNoSecretIn(entries, credentials?.password, name);

    let started = performance.now();
    const buildEvents = await engine(`building ${name}`, 'IMAGE_BUILD_FAILED', async () => {
      const stream = await docker.buildImage(await packBuildContext(entries), {
        t: name,
        rm: true,
        forcerm: true,
      });
      return readDockerStream(stream, (event) => reporter.event('build', event));
    });
    const buildFailure = mapBuildStreamError(buildEvents, { imageName: name, baseImage: this.baseImage });
    if (buildFailure !== undefined) {
      reporter.interrupted();
      throw buildFailure;
    }
    const imageId = lastAux(buildEvents, 'ID') ?? (await engine(`inspecting ${name}`, 'IMAGE_BUILD_FAILED', () => docker.getImage(name).inspect())).Id;
    reporter.done(`built ${name} (${imageId.replace(/^sha256:/, '').slice(0, 12)}) in ${seconds(started)}`);

    if (!push) return { name, imageId, pushed: false, digest: undefined };
    if (this.registryUrl === undefined) {
      this.logger.warn(`DockerStorage has no registryUrl: ${name} was built on this engine only and not pushed`);
      return { name, imageId, pushed: false, digest: undefined };
    }
    started = performance.now();
    const registry = registryHost(this.registryUrl);
    const pushEvents = await engine(`pushing ${name}`, 'IMAGE_PUSH_FAILED', async () => {
      const stream = await docker
        .getImage(imageRepository(this.registryUrl, this.imageName as string))
        .push({ tag: this.imageTag, ...(credentials ? { authconfig: { ...credentials, serveraddress: registry } } : {}) });
      return readDockerStream(stream, (event) => reporter.event('push', event));
    });
    const pushFailure = mapPushStreamError(pushEvents, { imageName: name, registry, username: credentials?.username });
    if (pushFailure !== undefined) {
      reporter.interrupted();
      throw pushFailure;
    }
    const digest = lastAux(pushEvents, 'Digest');
    reporter.done(`pushed ${name}${digest ? `@${digest}` : ''} in ${seconds(started)}`);
    return { name, imageId, pushed: true, digest };
  }

  serialize(): Record<string, unknown> {
    return {
      type: this.type,
      registry_url: this.registryUrl ?? null,
      image_name: this.imageName ?? null,
      image_tag: this.imageTag ?? null,
      flows: { ...this.stored },
      secrets: [...this.secrets],
      __version__: flowenvVersion,
    };
  }

  toString(): string {
    return `<Storage: DockerStorage ${this.imageName ?? '(image name picked at build)'}>`;
  }

  /**
   * Explicit credentials, else FLOWENV_REGISTRY_USERNAME / FLOWENV_REGISTRY_PASSWORD; undefined for
   * none. Checked here, not at construction: the flow module (and so this constructor) also runs
   * inside the image, where the variables a flow reads its credentials from are unset.
   */
  private registryCredentials(environment: Readonly<Record<string, string | undefined>>): RegistryCredentials | undefined {
    const username = this.#credentials.username ?? (environment['FLOWENV_REGISTRY_USERNAME'] || undefined);
    const password = this.#credentials.password ?? (environment['FLOWENV_REGISTRY_PASSWORD'] || undefined);
    if (username === undefined && password === undefined) return undefined;
    if (username === undefined || password === undefined) {
      throw new FlowenvError({
        code: 'OPTIONS_INVALID',
        message: `DockerStorage: a registry ${username === undefined ? 'password' : 'user'} but no ${username === undefined ? 'user' : 'password'}: pass registryUsername and registryPassword together (or set FLOWENV_REGISTRY_USERNAME and FLOWENV_REGISTRY_PASSWORD)`,
      });
    }
    registerSecretValue(password);
    return { username, password };
  }

  /** The base image must be in the engine already, unless pullBaseImage allows a pull. */
  private async ensureBaseImage(
    docker: Docker,
    connection: DockerConnection,
    credentials: RegistryCredentials | undefined,
    reporter: ProgressReporter,
    engine: <T>(operation: string, code: FlowenvErrorCode, call: () => Promise<T>) => Promise<T>,
  ): Promise<void> {
    const present = await docker.getImage(this.baseImage).inspect().then(
      () => true,
      (error: unknown) => {
        if ((error as { statusCode?: unknown }).statusCode === 404) return false;
        throw mapDockerApiError(error, { engine: connection.description, operation: `looking for base image ${this.baseImage}`, code: 'BASE_IMAGE_MISSING' });
      },
    );
    if (present) return;
    if (!this.pullBaseImage) {
      throw new FlowenvError({
        code: 'BASE_IMAGE_MISSING',
        message: `Base image ${this.baseImage} is not in the Docker engine at ${connection.description}; DockerStorage does not pull it unless pullBaseImage is true. Build or load it there (docker pull ${this.baseImage}), or pass another baseImage.`,
      });
    }
    const sameRegistry = this.registryUrl !== undefined && this.baseImage.startsWith(`${registryHost(this.registryUrl)}/`);
    const authconfig = sameRegistry && credentials ? { ...credentials, serveraddress: registryHost(this.registryUrl as string) } : undefined;
    const events: DockerStreamEvent[] = await engine(`pulling base image ${this.baseImage}`, 'BASE_IMAGE_MISSING', async () => {
      const stream = await docker.pull(this.baseImage, authconfig ? { authconfig } : {});
      return readDockerStream(stream, (event) => reporter.event('pull', event));
    });
    const failure = mapPullStreamError(events, {
      imageName: this.baseImage,
      registry: this.baseImage.split('/')[0] as string,
      username: authconfig?.username,
    });
    if (failure !== undefined) {
      reporter.interrupted();
      throw failure;
    }
    reporter.done(`pulled ${this.baseImage}`);
  }

  /**
   * The files build() sends to the engine, Dockerfile first: the extra files, the bundled flowenv
   * command (and @flowenv/dask's worker files when a flow runs on Dask workers), the flow bundles
   * and the health check with its plan. For inspecting what an image will
   * hold without an engine; build() uses exactly these.
   */
  async buildContext(): Promise<ContextEntry[]> {
    const flows = [...this.bundles.values()];
    const noDaskRuntime: DaskRuntime = { files: [], env: {} };
    const [command, extra, dask] = await Promise.all([
      bundleFlowenvCommand({ conditions: bundleConditions, target: this.nodeTarget }),
      collectExtraFiles(this.files),
      flows.some(needsDaskRuntime) ? bundleDaskRuntime({ conditions: bundleConditions, target: this.nodeTarget }) : noDaskRuntime,
    ]);
    // Flows share the worker-thread script and the folder's package.json: one copy each.
    const flowFiles = [...new Map(flows.flatMap((flow) => flow.files).map((file) => [file.path, file])).values()];
    const healthCheckPlan: HealthCheckPlan = {
      flows: flows.map((flow) => ({ name: flow.name, location: flow.location, bundledPackages: flow.bundledPackages })),
      command: flowenvCommandPath,
    };
    const dockerfile = buildDockerfile({
      baseImage: this.baseImage,
      runtimeEnv: dask.env,
      env: this.env,
      files: extra.copies,
      flowsDirectory: this.flowsDirectory,
      hasFlows: flowFiles.length > 0,
    });
    return buildContextEntries({
      dockerfile,
      runtime: [
        { path: flowenvEntryPath, contents: command.code },
        { path: `${flowenvEntryPath}.map`, contents: command.map },
        { path: healthCheckPath, contents: healthCheckScript },
        ...dask.files,
      ],
      commandScript: flowenvCommandScript,
      flowFiles,
      flowsDirectory: this.flowsDirectory,
      healthCheckPlan,
      extraFiles: extra.entries,
    });
  }
}

/**
 * Refuses a build context that contains the registry password (a literal in the flow module, an
 * `env` value, an extra file): it would be readable by anyone who can pull the image.
 */
export function assertNoSecretIn(entries: readonly ContextEntry[], secret: string | undefined, imageName: string): void {
  if (secret === undefined || secret === '') return;
  const needle = Buffer.from(secret);
  const found = entries.find((entry) => entry.contents.includes(needle));
  if (found === undefined) return;
  throw new FlowenvError({
    code: 'STORAGE_INVALID',
    message: `DockerStorage: the registry password appears in ${found.path === 'Dockerfile' ? 'the Dockerfile (an `env` value)' : `${found.imagePath} (build context ${found.path})`}, and would be readable by anyone who can pull ${imageName}. Read it from FLOWENV_REGISTRY_PASSWORD (or process.env) instead of writing it into the flow, its env or its files.`,
  });
}

function lastAux(events: readonly DockerStreamEvent[], key: 'ID' | 'Digest'): string | undefined {
  for (let index = events.length - 1; index >= 0; index--) {
    const value = events[index]?.aux?.[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function seconds(started: number): string {
  return `${((performance.now() - started) / 1000).toFixed(1)}s`;
}
