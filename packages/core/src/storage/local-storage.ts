import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { FlowenvError } from '../errors/flowenv-error.js';
import type { Flow } from '../flow/flow.js';
import { loadFlow } from '../flow/load-flow.js';
import { flowenvVersion } from '../version.js';
import type { Storage } from './storage.js';

export interface LocalStorageOptions {
  /** Secret names the flows need at run time (default none). */
  secrets?: readonly string[];
}

/**
 * Flows kept as their module files on this machine. Like Prefect 0.11's Local storage it labels
 * the environment with this machine's hostname, so only agents on this machine pick the run up.
 * Unlike 0.11, which pickled the flow into ~/.prefect/flows, the location is the module's own path.
 */
export class LocalStorage implements Storage {
  readonly type = 'LocalStorage';
  readonly secrets: readonly string[];
  private readonly stored: Record<string, string> = {};

  constructor(options: LocalStorageOptions = {}) {
    this.secrets = [...(options.secrets ?? [])];
  }

  get labels(): readonly string[] {
    return [hostname()];
  }

  get flows(): Readonly<Record<string, string>> {
    return this.stored;
  }

  async addFlow(flow: Flow, sourcePath: string | undefined = flow.location): Promise<string> {
    if (sourcePath === undefined) {
      throw new FlowenvError({
        code: 'STORAGE_INVALID',
        message: `LocalStorage: flow "${flow.name}" has no module file; pass its path to addFlow(flow, path)`,
      });
    }
    if (Object.hasOwn(this.stored, flow.name)) {
      throw new FlowenvError({
        code: 'STORAGE_INVALID',
        message: `Name conflict: LocalStorage already holds a flow named "${flow.name}"`,
      });
    }
    const location = isAbsolute(sourcePath) ? sourcePath : resolve(sourcePath);
    this.stored[flow.name] = location;
    return location;
  }

  async getFlow(location: string): Promise<Flow> {
    if (!Object.values(this.stored).includes(location)) {
      throw new FlowenvError({
        code: 'FLOW_NOT_IN_STORAGE',
        message: `LocalStorage holds no flow at ${location} (it holds: ${Object.values(this.stored).join(', ') || 'nothing'})`,
      });
    }
    return loadFlow(location);
  }

  async build(): Promise<void> {}

  serialize(): Record<string, unknown> {
    return { type: this.type, flows: { ...this.stored }, secrets: [...this.secrets], __version__: flowenvVersion };
  }
}
