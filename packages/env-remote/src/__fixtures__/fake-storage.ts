import type { Flow, Storage } from '@flowenv/core';

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
