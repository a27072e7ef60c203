import type { ContainerImageStorage, Flow } from '@flowenv/core';

/** A storage whose flows live in a container image (a stand-in for DockerStorage). */
export class ImageStorage implements ContainerImageStorage {
  readonly type = 'DockerStorage';
  readonly labels: readonly string[] = [];
  readonly secrets: readonly string[] = [];
  readonly flows: Record<string, string> = {};

  constructor(readonly name = 'test/image:tag') {}

  async addFlow(flow: Flow): Promise<string> {
    const location = `/opt/prefect/flows/${flow.name}.mjs`;
    this.flows[flow.name] = location;
    return location;
  }

  async getFlow(): Promise<Flow> {
    throw new Error('ImageStorage keeps flows inside its image');
  }

  async build(): Promise<void> {}

  serialize(): Record<string, unknown> {
    return { type: this.type, name: this.name };
  }
}
