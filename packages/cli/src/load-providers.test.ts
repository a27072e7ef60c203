import { flowenvVersion } from '@flowenv/core';
import { LocalEnvironment } from '@flowenv/env-local';
import { RemoteEnvironment } from '@flowenv/env-remote';
import { describe, expect, it } from 'vitest';
import { defaultEnvironment, importProvider, installedEnvironmentRegistry } from './load-providers.js';

describe('load-providers', () => {
  it('imports an installed provider package and gives undefined for a missing one', async () => {
    expect((await importProvider('@flowenv/env-local'))?.['LocalEnvironment']).toBe(LocalEnvironment);
    expect(await importProvider('@flowenv/env-not-installed-anywhere')).toBeUndefined();
  });

  it('defaults to a new RemoteEnvironment', async () => {
    const first = await defaultEnvironment();
    expect(first).toBeInstanceOf(RemoteEnvironment);
    expect(await defaultEnvironment()).not.toBe(first);
  });

  it('builds a registry of the installed environment classes', async () => {
    const registry = await installedEnvironmentRegistry();
    expect(registry.deserialize({ type: 'LocalEnvironment', labels: ['a'], __version__: flowenvVersion })).toBeInstanceOf(LocalEnvironment);
    expect(registry.deserialize({ type: 'RemoteEnvironment', executor: null, executor_kwargs: null })).toBeInstanceOf(RemoteEnvironment);
    // Every provider of this workspace is installed here, so each of their types loads.
    expect(registry.deserialize({ type: 'KubernetesJobEnvironment', labels: ['k'] }).type).toBe('KubernetesJobEnvironment');
    expect(registry.deserialize({ type: 'FargateTaskEnvironment', labels: [] }).type).toBe('FargateTaskEnvironment');
    let caught: unknown;
    try {
      registry.deserialize({ type: 'MadeUpEnvironment', labels: [] });
    } catch (error) {
      caught = error;
    }
    expect((caught as { code?: string }).code).toBe('SERIALIZATION_UNSUPPORTED_TYPE');
  });
});
