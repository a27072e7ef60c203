import type { Flow, Storage } from '@flowenv/core';

/** A storage that hands out a flow built in the test and records the locations asked for. */
export class FakeStorage implements Storage {
  readonly type = 'FakeStorage';
  readonly labels: readonly string[] = [];
  readonly secrets: readonly string[] = [];
  readonly flows: Record<string, string> = {};
  readonly requestedLocations: string[] = [];

  constructor(private readonly source: () => Flow) {}

  async addFlow(flow: Flow): Promise<string> {
    this.flows[flow.name] = `fake://${flow.name}`;
    return this.flows[flow.name] as string;
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
