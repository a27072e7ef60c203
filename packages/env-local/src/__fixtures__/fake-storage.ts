import { FlowenvError, type EnvRunner, type Flow, type Storage } from '@flowenv/core';

/**
 * A storage that hands out flows built in the test: `getFlow` records the location it was asked
 * for and returns (or throws) what the test gave it.
 */
export class FakeStorage implements Storage {
  readonly type = 'FakeStorage';
  readonly labels: readonly string[] = [];
  readonly secrets: readonly string[] = [];
  readonly flows: Record<string, string> = {};
  readonly requestedLocations: string[] = [];

  constructor(private readonly source: () => Flow) {}

  async addFlow(flow: Flow): Promise<string> {
    const location = `fake://${flow.name}`;
    this.flows[flow.name] = location;
    return location;
  }

  async getFlow(location: string): Promise<Flow> {
    this.requestedLocations.push(location);
    return this.source();
  }

  async build(): Promise<void> {}

  serialize(): Record<string, unknown> {
    return { type: this.type, flows: { ...this.flows } };
  }
}

/**
 * A storage that cannot give a Flow object (getFlow throws NOT_IMPLEMENTED) and runs flows
 * through an env runner instead, like Prefect 0.11 storages with `get_env_runner`.
 */
export class EnvRunnerStorage implements Storage {
  readonly type = 'EnvRunnerStorage';
  readonly labels: readonly string[] = [];
  readonly secrets: readonly string[] = [];
  readonly flows: Record<string, string> = {};
  readonly runnerLocations: string[] = [];

  constructor(private readonly runner: EnvRunner) {}

  async addFlow(flow: Flow): Promise<string> {
    return `env-runner://${flow.name}`;
  }

  async getFlow(_location: string): Promise<Flow> {
    throw new FlowenvError({ code: 'NOT_IMPLEMENTED', message: 'EnvRunnerStorage cannot give a Flow object' });
  }

  getEnvRunner(location: string): EnvRunner {
    this.runnerLocations.push(location);
    return this.runner;
  }

  async build(): Promise<void> {}

  serialize(): Record<string, unknown> {
    return { type: this.type };
  }
}
