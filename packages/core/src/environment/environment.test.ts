import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { LocalStorage } from '../storage/local-storage.js';
import { flowenvVersion } from '../version.js';
import { ENVIRONMENT_SPECIFICATION_VERSION, Environment } from './environment.js';

describe('Environment (spec 8.1)', () => {
  it('has empty labels, no hooks and a logger named after the class', () => {
    const environment = new Environment();
    expect(environment.labels).toEqual(new Set());
    expect(environment.onStart).toBeUndefined();
    expect(environment.onExit).toBeUndefined();
    expect(environment.logger.name).toBe('flowenv.Environment');
    expect(String(environment)).toBe('<Environment: Environment>');
  });

  it('turns labels into a set', () => {
    expect(new Environment({ labels: ['a', 'b', 'a'] }).labels).toEqual(new Set(['a', 'b']));
    expect(new Environment({ labels: null }).labels).toEqual(new Set());
    expect(new Environment({ labels: new Set(['x']) }).labels).toEqual(new Set(['x']));
  });

  it('keeps the hook references', () => {
    const onStart = (): void => {};
    const onExit = (): void => {};
    const environment = new Environment({ onStart, onExit });
    expect(environment.onStart).toBe(onStart);
    expect(environment.onExit).toBe(onExit);
  });

  it('has no dependencies and the current contract version', () => {
    const environment = new Environment();
    expect(environment.dependencies).toEqual([]);
    expect(environment.specificationVersion).toBe(ENVIRONMENT_SPECIFICATION_VERSION);
  });

  it('setup, execute and render are harmless no-ops', async () => {
    const environment = new Environment();
    await expect(environment.setup(new LocalStorage())).resolves.toBeUndefined();
    await expect(environment.execute(new LocalStorage(), '')).resolves.toBeUndefined();
    await expect(environment.render(new LocalStorage(), '')).resolves.toEqual([]);
  });

  it('serializes as type Environment with sorted labels and the version', () => {
    expect(new Environment({ labels: ['foo', 'bar'] }).serialize()).toEqual({
      type: 'Environment',
      labels: ['bar', 'foo'],
      __version__: flowenvVersion,
    });
  });

  it('serializes a user subclass as CustomEnvironment, keeping its class name', () => {
    class MyEnvironment extends Environment {}
    const serialized = new MyEnvironment({ labels: ['x'] }).serialize();
    expect(serialized).toEqual({ type: 'CustomEnvironment', custom_type: 'MyEnvironment', labels: ['x'], __version__: flowenvVersion });
    expect(new MyEnvironment().logger.name).toBe('flowenv.MyEnvironment');
  });

  it('rejects invalid options, naming the field', () => {
    expect(() => new Environment({ labels: [1 as unknown as string] })).toThrow(/Environment: invalid options: `labels.0`/);
    expect(() => new Environment({ onStart: 'later' as unknown as () => void })).toThrow(/`onStart`: expected a function/);
  });

  it('logs through a named logger', () => {
    expect(createLogger('flowenv.X').name).toBe('flowenv.X');
  });
});
