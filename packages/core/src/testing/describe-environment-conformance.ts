import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_SPECIFICATION_VERSION, type Environment, type EnvironmentOptions } from '../environment/environment.js';
import { FlowenvError } from '../errors/flowenv-error.js';
import { EnvironmentRegistry, type SerializableEnvironmentClass } from '../serialization/environment-registry.js';
import type { Storage } from '../storage/storage.js';

export interface EnvironmentConformanceOptions<E extends Environment> {
  /** The class under test: serialization goes through a registry holding only it. */
  environmentClass: SerializableEnvironmentClass;
  /** Builds an environment with the base options (and whatever else the provider needs). */
  create(options: EnvironmentOptions): E;
  /** The exact `dependencies` list. */
  dependencies: readonly string[];
  /**
   * Runs a flow through the environment's own entry point (execute in-process, or runFlow with a
   * prepared context); `markBody` must be called by the flow, so the suite sees when the body ran.
   */
  runWithHooks(environment: E, markBody: () => void): Promise<unknown>;
  /** A storage for setup(); the suite calls setup twice and expects the same observable result. */
  setupStorage(): Storage;
  /** Optional check after the two setups (e.g. "exactly one task definition registered"). */
  afterSetupTwice?(environment: E): Promise<void> | void;
}

/**
 * The contract every environment package runs: serialize round trip, labels as a set, hook order
 * (spec 1.6), setup idempotency, contract version, dependencies and typed option errors.
 */
export function describeEnvironmentConformance<E extends Environment>(options: EnvironmentConformanceOptions<E>): void {
  const type = options.environmentClass.type;

  describe(`${type} conformance`, () => {
    it('serializes with its own type and loads back to an equal environment', () => {
      const environment = options.create({ labels: ['zeta', 'alpha'] });
      const serialized = environment.serialize();
      expect(serialized.type).toBe(type);
      expect(serialized.labels).toEqual(['alpha', 'zeta']);
      expect(typeof serialized.__version__).toBe('string');
      const json = JSON.parse(JSON.stringify(serialized)) as unknown;
      const loaded = new EnvironmentRegistry([options.environmentClass]).deserialize(json);
      expect(loaded.type).toBe(type);
      expect(loaded.serialize()).toEqual(serialized);
    });

    it('keeps labels as a set', () => {
      const environment = options.create({ labels: ['a', 'b', 'a'] });
      expect(environment.labels).toEqual(new Set(['a', 'b']));
      expect(options.create({}).labels).toEqual(new Set());
    });

    it('keeps the exact hook references', () => {
      const onStart = (): void => {};
      const onExit = (): void => {};
      const environment = options.create({ onStart, onExit });
      expect(environment.onStart).toBe(onStart);
      expect(environment.onExit).toBe(onExit);
    });

    it('calls onStart, then the flow, then onExit', async () => {
      const calls: string[] = [];
      const environment = options.create({ onStart: () => void calls.push('start'), onExit: () => void calls.push('exit') });
      await options.runWithHooks(environment, () => calls.push('body'));
      expect(calls).toEqual(['start', 'body', 'exit']);
    });

    it('does not run the flow nor onExit when onStart throws', async () => {
      const calls: string[] = [];
      const environment = options.create({
        onStart: () => {
          throw new Error('start refused');
        },
        onExit: () => void calls.push('exit'),
      });
      await expect(options.runWithHooks(environment, () => calls.push('body'))).rejects.toThrow('start refused');
      expect(calls).toEqual([]);
    });

    it('can run setup twice', async () => {
      const environment = options.create({});
      const storage = options.setupStorage();
      await environment.setup(storage);
      await environment.setup(storage);
      await options.afterSetupTwice?.(environment);
    });

    it('implements the contract version of this core', () => {
      expect(options.create({}).specificationVersion).toBe(ENVIRONMENT_SPECIFICATION_VERSION);
    });

    it('lists its runtime dependencies', () => {
      expect(options.create({}).dependencies).toEqual([...options.dependencies]);
    });

    it('rejects invalid base options with a typed error naming the field', () => {
      let caught: unknown;
      try {
        options.create({ labels: [42 as unknown as string] });
      } catch (error) {
        caught = error;
      }
      expect(FlowenvError.isInstance(caught)).toBe(true);
      expect((caught as FlowenvError).code).toBe('OPTIONS_INVALID');
      expect((caught as FlowenvError).message).toContain('labels');
    });
  });
}
