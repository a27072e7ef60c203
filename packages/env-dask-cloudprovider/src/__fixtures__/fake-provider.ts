import type { DaskClusterContext, DaskClusterInfo, DaskClusterProvider } from '../dask-cluster-provider.js';

/**
 * A provider that creates nothing: it records every call in a shared `events` list (with the
 * hooks' calls, so the order can be checked) and fails where told.
 */
export class FakeProvider implements DaskClusterProvider {
  readonly name = 'FakeCluster';
  readonly created: { options: Record<string, unknown>; context: DaskClusterContext }[] = [];
  readonly adapted: [number, number][] = [];
  closed = 0;

  constructor(
    readonly events: string[] = [],
    readonly failures: { create?: Error; adapt?: Error; close?: Error; address?: string } = {},
    readonly security?: DaskClusterInfo['security'],
  ) {}

  async create(options: Record<string, unknown>, context: DaskClusterContext): Promise<DaskClusterInfo> {
    this.events.push('create');
    this.created.push({ options: structuredClone(options), context });
    if (this.failures.create) throw this.failures.create;
    return { schedulerAddress: this.failures.address ?? 'tls://10.0.0.1:8786', ...(this.security ? { security: this.security } : {}) };
  }

  async adapt(minimum: number, maximum: number): Promise<void> {
    this.events.push(`adapt ${minimum}..${maximum}`);
    this.adapted.push([minimum, maximum]);
    if (this.failures.adapt) throw this.failures.adapt;
  }

  async close(): Promise<void> {
    this.events.push('close');
    this.closed++;
    if (this.failures.close) throw this.failures.close;
  }
}
