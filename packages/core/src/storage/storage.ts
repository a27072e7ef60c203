import type { Flow } from '../flow/flow.js';

/** The fallback of storages that cannot give a Flow object: runs the flow with a prepared env. */
export type EnvRunner = (options: { env: Record<string, string | undefined> }) => unknown;

/**
 * Where flows are kept between registration and run. `getFlow` re-creates the flow (and with it
 * the environment's full, non-serialized configuration) from a location.
 */
export interface Storage {
  /** Class name, as serialized ("LocalStorage", "DockerStorage"). */
  readonly type: string;
  /** Labels this storage adds to the environment of the flows it holds (LocalStorage: the hostname). */
  readonly labels: readonly string[];
  /** Names of secrets the flow needs at run time; values are fetched by name when it runs. */
  readonly secrets: readonly string[];
  /** Flow name → location inside this storage. */
  readonly flows: Readonly<Record<string, string>>;
  /** Adds a flow (from its module file) and returns its location. */
  addFlow(flow: Flow, sourcePath?: string): Promise<string>;
  /** Loads the flow stored at `location`. */
  getFlow(location: string): Promise<Flow>;
  /** For storages that cannot give a Flow object (getFlow throws NOT_IMPLEMENTED). */
  getEnvRunner?(location: string): EnvRunner;
  /** Builds (and optionally pushes) whatever the storage needs before a run. */
  build(options?: { push?: boolean }): Promise<void>;
  serialize(): Record<string, unknown>;
}

/** A storage whose flows live in a container image: containerized environments need one. */
export interface ContainerImageStorage extends Storage {
  /** The full image name, `<registry>/<image>:<tag>`. */
  readonly name: string;
}

export function hasContainerImage(storage: Storage): storage is ContainerImageStorage {
  return typeof (storage as Partial<ContainerImageStorage>).name === 'string' || storage.type === 'DockerStorage';
}
