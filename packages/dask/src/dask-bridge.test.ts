import { describe, expect, it } from 'vitest';
import { bridgeArguments } from './dask-bridge.js';

describe('bridgeArguments', () => {
  const settings = {
    address: 'tls://scheduler:8786',
    security: { caFile: 'ca.pem', certFile: 'node.pem', keyFile: 'node.key', requireEncryption: true },
    connectTimeoutMs: 2500,
    python: 'python3',
    debug: true,
    workerNode: '/usr/bin/node',
    taskHostScript: '/app/node_modules/@flowenv/dask/dist/task-host.js',
    hostIdleTimeoutMs: 30_000,
  };

  it('hands the Python bridge its settings, in seconds where Python counts seconds', () => {
    const args = bridgeArguments(settings);
    expect(args).toMatchObject({
      address: 'tls://scheduler:8786',
      security: settings.security,
      connectTimeoutSeconds: 2.5,
      workerNode: '/usr/bin/node',
      taskHostScript: '/app/node_modules/@flowenv/dask/dist/task-host.js',
      hostIdleSeconds: 30,
      debug: true,
    });
    expect(bridgeArguments({ ...settings, security: undefined }).security).toBeNull();
  });

  it('gives each bridge its own worker plugin name, so executors sharing a cluster keep their own hosts', () => {
    const first = bridgeArguments(settings)['pluginName'];
    expect(first).toMatch(/^flowenv-task-hosts-[0-9a-f]{12}$/);
    expect(bridgeArguments(settings)['pluginName']).not.toBe(first);
  });
});
