import { describe, expect, it } from 'vitest';
import { Environment } from '../environment/environment.js';
import { FlowenvError } from '../errors/flowenv-error.js';
import { EnvironmentRegistry, type SerializableEnvironmentClass } from './environment-registry.js';
import { environmentSchemas } from './environment-schema.js';

/** A stand-in provider class: records the fields it was rebuilt from. */
function recordingClass(type: string, seen: Array<Record<string, unknown>>, specificationVersion?: string): SerializableEnvironmentClass {
  return {
    type,
    ...(specificationVersion === undefined ? {} : { specificationVersion }),
    fromSerialized: (fields) => {
      seen.push(fields);
      return new Environment({ labels: fields['labels'] as string[] });
    },
  };
}

function errorOf(action: () => unknown): FlowenvError {
  try {
    action();
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('EnvironmentRegistry (spec 5)', () => {
  it('loads a base Environment and a CustomEnvironment as a base Environment with its labels', () => {
    const registry = new EnvironmentRegistry();
    expect(registry.deserialize({ type: 'Environment', labels: ['a'], __version__: '0.11.0' }).labels).toEqual(new Set(['a']));
    const custom = registry.deserialize({ type: 'CustomEnvironment', labels: ['foo'], custom_type: 'Mine' });
    expect(custom.constructor).toBe(Environment);
    expect(custom.labels).toEqual(new Set(['foo']));
  });

  it('round-trips a user subclass through CustomEnvironment (8.9.20)', () => {
    class MyEnvironment extends Environment {}
    const loaded = new EnvironmentRegistry().deserialize(new MyEnvironment({ labels: ['foo', 'bar'] }).serialize());
    expect(loaded.type).toBe('Environment');
    expect(loaded.labels).toEqual(new Set(['foo', 'bar']));
  });

  it('passes validated fields, with defaults, to the registered class and drops unknown keys', () => {
    const seen: Array<Record<string, unknown>> = [];
    const registry = new EnvironmentRegistry([recordingClass('DaskKubernetesEnvironment', seen)]);
    registry.deserialize({ type: 'DaskKubernetesEnvironment', min_workers: 10, surprise: true, __version__: 'x' });
    expect(seen).toEqual([{ labels: [], docker_secret: undefined, private_registry: false, min_workers: 10, max_workers: 2 }]);
  });

  it('loads an old payload without labels (8.9.19)', () => {
    const seen: Array<Record<string, unknown>> = [];
    const registry = new EnvironmentRegistry([recordingClass('RemoteEnvironment', seen)]);
    registry.deserialize({ executor: 'prefect.engine.executors.LocalExecutor', executor_kwargs: {}, __version__: '0.6.3', type: 'RemoteEnvironment' });
    expect(seen).toEqual([{ labels: [], executor: 'prefect.engine.executors.LocalExecutor', executor_kwargs: {} }]);
  });

  it('rejects what is not an object, or has no type', () => {
    const registry = new EnvironmentRegistry();
    expect(errorOf(() => registry.deserialize('x')).message).toBe('Invalid data type: expected an object, got string');
    expect(errorOf(() => registry.deserialize([])).message).toBe('Invalid data type: expected an object, got an array');
    expect(errorOf(() => registry.deserialize({ labels: [] }))).toMatchObject({ code: 'SERIALIZATION_INVALID', message: '`type`: Missing data for required field.' });
    expect(errorOf(() => registry.deserialize({ type: '' })).code).toBe('SERIALIZATION_INVALID');
  });

  it('names the field of a type error', () => {
    const registry = new EnvironmentRegistry([recordingClass('DaskKubernetesEnvironment', [])]);
    expect(errorOf(() => registry.deserialize({ type: 'Environment', labels: null })).message).toMatch(/^Environment: `labels`/);
    expect(errorOf(() => registry.deserialize({ type: 'Environment', labels: 'x' })).message).toMatch(/^Environment: `labels`/);
    expect(errorOf(() => registry.deserialize({ type: 'DaskKubernetesEnvironment', min_workers: 'abc' })).message).toMatch(/`min_workers`/);
    expect(errorOf(() => registry.deserialize({ type: 'DaskKubernetesEnvironment', private_registry: null })).message).toMatch(/`private_registry`/);
  });

  it('requires the address of a RemoteDaskEnvironment in the schema', () => {
    const registry = new EnvironmentRegistry([recordingClass('RemoteDaskEnvironment', [])]);
    expect(errorOf(() => registry.deserialize({ type: 'RemoteDaskEnvironment', labels: [] })).message).toMatch(/`address`/);
  });

  it('strictly refuses an unknown type, and a known but unregistered one with the package to install', () => {
    const registry = new EnvironmentRegistry();
    expect(errorOf(() => registry.deserialize({ type: 'Nope' }))).toMatchObject({ code: 'SERIALIZATION_UNSUPPORTED_TYPE', message: '`type`: Unsupported value: Nope' });
    expect(errorOf(() => registry.deserialize({ type: 'KubernetesJobEnvironment' })).message).toContain('install @flowenv/env-k8s-job');
  });

  it('leniently loads an unknown type as a base Environment with its labels', () => {
    const loaded = new EnvironmentRegistry().deserialize({ type: 'FargateTaskEnvironment', labels: ['x'] }, { lenient: true });
    expect(loaded.constructor).toBe(Environment);
    expect(loaded.labels).toEqual(new Set(['x']));
  });

  it('refuses a class built for another contract version, or of an unknown type', () => {
    expect(errorOf(() => new EnvironmentRegistry([recordingClass('LocalEnvironment', [], 'v0')])).code).toBe('SPECIFICATION_UNSUPPORTED');
    expect(errorOf(() => new EnvironmentRegistry([recordingClass('MadeUpEnvironment', [])])).code).toBe('SERIALIZATION_UNSUPPORTED_TYPE');
  });

  it('has a schema for the base type, all seven environments and custom ones', () => {
    expect(Object.keys(environmentSchemas).sort()).toEqual([
      'CustomEnvironment',
      'DaskCloudProviderEnvironment',
      'DaskKubernetesEnvironment',
      'Environment',
      'FargateTaskEnvironment',
      'KubernetesJobEnvironment',
      'LocalEnvironment',
      'RemoteDaskEnvironment',
      'RemoteEnvironment',
    ]);
  });
});
