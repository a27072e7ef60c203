// DaskCloudProviderEnvironment's execution path on real Dask (tools/testenv/up dask): a provider
// that starts a LocalDaskCluster with temporary TLS certificates from this package (so Python's
// OpenSSL accepts them), onExecute sizing it, adapt, the flow run by DaskExecutor at its
// tls:// address, hooks in order, and nothing left running or on disk afterwards.
import { fileURLToPath } from 'node:url';
import { Flow, LocalStorage, setLogSink, type FlowRunResult } from '@flowenv/core';
import { DaskCloudProviderEnvironment } from '@flowenv/env-dask-cloudprovider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalClusterProvider } from './fixtures/cloudprovider-local-provider.js';
import { DescendantWatcher } from './fixtures/cloudprovider-processes.js';
import { waitUntilGone } from './fixtures/dask-processes.js';
import { requireServiceEnv } from './testenv.js';

const env = requireServiceEnv('dask', ['FLOWENV_DASK_PYTHON']);
const flowPath = fileURLToPath(new URL('./fixtures/cloudprovider-flow.ts', import.meta.url));

let watcher: DescendantWatcher;

/** Every Dask process this suite started (cluster, workers, bridge, task hosts) has exited. */
async function expectNothingRunning(): Promise<void> {
  watcher.stop();
  const left = await waitUntilGone([...watcher.seen.keys()], 20_000);
  expect(left, `left behind: ${left.map((pid) => `${pid}: ${watcher.seen.get(pid)?.slice(0, 160)}`).join('\n')}`).toEqual([]);
  watcher.start();
}

let restoreSink: () => void;
let storage: LocalStorage;
let location: string;
beforeAll(async () => {
  restoreSink = setLogSink((record) => {
    if (record.level === 'error' || record.level === 'critical') process.stderr.write(`${record.logger}: ${record.message}\n`);
  });
  watcher = new DescendantWatcher();
  watcher.start();
  storage = new LocalStorage();
  location = await storage.addFlow(new Flow({ name: 'cloudprovider-partitions' }), flowPath);
});
afterAll(async () => {
  restoreSink();
  await expectNothingRunning();
  watcher.stop();
});

function environmentOn(provider: LocalClusterProvider, options: Partial<ConstructorParameters<typeof DaskCloudProviderEnvironment>[0]> = {}) {
  const { events } = provider;
  return new DaskCloudProviderEnvironment({
    provider,
    nWorkers: 1,
    executorOptions: { python: env.FLOWENV_DASK_PYTHON },
    onExecute: (parameters, providerOptions) => {
      events.push('onExecute');
      providerOptions['nWorkers'] = Math.ceil(Number(parameters['partitions']) / 4);
    },
    onStart: () => void events.push('onStart'),
    onExit: () => void events.push('onExit'),
    ...options,
  });
}

describe('DaskCloudProviderEnvironment.execute on a LocalDaskCluster provider', () => {
  it('creates the cluster sized by onExecute, adapts it, runs the flow to Success over TLS with the hooks in order, then closes it', async () => {
    const provider = new LocalClusterProvider(env.FLOWENV_DASK_PYTHON);
    const environment = environmentOn(provider, { adaptiveMinWorkers: 3, adaptiveMaxWorkers: 3 });
    const handle = await environment.execute(storage, location, { parameters: { partitions: 8 }, runContext: { flowRunId: 'local-run-1' } });
    const outcome = await handle.wait();

    expect(outcome.state).toBe('Success');
    const total = (outcome.result as FlowRunResult).tasks['total']?.result as { sum: number; hosts: number; runner: number };
    expect(total.sum).toBe(36); // 1 + … + 8
    expect(total.runner).not.toBe(process.pid); // the tasks ran on the Dask workers' task hosts
    expect(provider.events).toEqual(['onExecute', 'create 2', 'adapt 3..3', 'onStart', 'onExit', 'close']);
    expect(provider.runIds).toEqual(['local-run-1']);
    expect(handle.details['scheduler']).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
    expect(provider.certificatesRemoved()).toBe(true);
    // The cluster, its 3 workers, the executor's bridge and task hosts all ran, and are gone.
    expect([...watcher.seen.values()].filter((command) => command.includes('flowenv_dask_cluster.py'))).toHaveLength(1);
    expect([...watcher.seen.values()].filter((command) => command.includes('flowenv_dask_bridge.py'))).toHaveLength(1);
    expect([...watcher.seen.values()].filter((command) => command.includes('task-host.js')).length).toBeGreaterThanOrEqual(1);
    await expectNothingRunning();
  });

  it('closes the cluster when the flow fails and when onStart refuses, leaving no process', async () => {
    const failing = new LocalClusterProvider(env.FLOWENV_DASK_PYTHON);
    // An unknown parameter fails the run before any task, after the cluster exists.
    await expect(environmentOn(failing).execute(storage, location, { parameters: { partitions: 4, nope: 1 } })).rejects.toThrow('has no parameter "nope"');
    expect(failing.events).toEqual(['onExecute', 'create 1', 'onStart', 'onExit', 'close']);

    const refusing = new LocalClusterProvider(env.FLOWENV_DASK_PYTHON);
    await expect(environmentOn(refusing, {
      onStart: () => {
        throw new Error('not now');
      },
    }).execute(storage, location, { parameters: { partitions: 4 } })).rejects.toThrow('not now');
    expect(refusing.events).toEqual(['onExecute', 'create 1', 'close']);
    expect(refusing.certificatesRemoved()).toBe(true);
    await expectNothingRunning();
  });
});
