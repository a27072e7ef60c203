import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Environment,
  EnvironmentRegistry,
  Flow,
  FlowenvError,
  FlowRunner,
  flowenvVersion,
  LocalStorage,
  setLogSink,
  type LogRecord,
  type RunHandle,
} from '@flowenv/core';
import { describeEnvironmentConformance } from '@flowenv/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvRunnerStorage, FakeStorage } from './__fixtures__/fake-storage.js';
import { LocalEnvironment } from './local-environment.js';

const writeFileFlowPath = fileURLToPath(new URL('./__fixtures__/write-file-flow.ts', import.meta.url));
const executorVariable = 'PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS';

/** A flow with one task that runs `body`. */
function oneTaskFlow(body: () => unknown = () => 'done'): Flow {
  const flow = new Flow({ name: 'one-task' });
  flow.task('body', () => body());
  return flow;
}

/** The error a promise rejects with (fails the test when it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

async function outcomeOf(handle: RunHandle | void) {
  if (!handle) throw new Error('execute returned no handle');
  return handle.wait();
}

/** Sets (or, with undefined, removes) one process variable for the duration of `body`. */
async function withVariable<T>(name: string, value: string | undefined, body: () => Promise<T>): Promise<T> {
  const previous = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    return await body();
  } finally {
    if (previous === undefined) delete process.env[name];
    else process.env[name] = previous;
  }
}

function captureLogs(): { records: LogRecord[]; restore: () => void } {
  const records: LogRecord[] = [];
  const restore = setLogSink((record) => void records.push(record));
  return { records, restore };
}

describe('LocalEnvironment (spec 8.2)', () => {
  it('has defaults: no labels, no hooks, logger flowenv.LocalEnvironment (8.2.1)', () => {
    const environment = new LocalEnvironment();
    expect(environment.labels).toEqual(new Set());
    expect(environment.onStart).toBeUndefined();
    expect(environment.onExit).toBeUndefined();
    expect(environment.logger.name).toBe('flowenv.LocalEnvironment');
    expect(environment.type).toBe('LocalEnvironment');
    expect(String(environment)).toBe('<Environment: LocalEnvironment>');
  });

  it('keeps labels as a set and the hook references (8.2.2)', () => {
    const onStart = (): void => {};
    const onExit = (): void => {};
    const environment = new LocalEnvironment({ labels: ['test', 'test'], onStart, onExit });
    expect(environment.labels).toEqual(new Set(['test']));
    expect(environment.onStart).toBe(onStart);
    expect(environment.onExit).toBe(onExit);
  });

  it('treats null options as absent', () => {
    const environment = new LocalEnvironment({ labels: null, onStart: null, onExit: null });
    expect(environment.labels).toEqual(new Set());
    expect(environment.onStart).toBeUndefined();
    expect(environment.onExit).toBeUndefined();
  });

  it('has no dependencies (8.2.3)', () => {
    expect(new LocalEnvironment().dependencies).toEqual([]);
  });

  it('setup is a no-op (8.2.4)', async () => {
    const storage = new FakeStorage(() => oneTaskFlow());
    await expect(new LocalEnvironment().setup(storage)).resolves.toBeUndefined();
    expect(storage.requestedLocations).toEqual([]);
  });

  it('serializes as type LocalEnvironment and loads back (8.2.5, 8.9.18)', () => {
    const environment = new LocalEnvironment({ labels: ['b', 'a'] });
    expect(environment.serialize()).toEqual({ labels: ['a', 'b'], __version__: flowenvVersion, type: 'LocalEnvironment' });
    const loaded = new EnvironmentRegistry([LocalEnvironment]).deserialize(JSON.parse(JSON.stringify(environment.serialize())));
    expect(loaded).toBeInstanceOf(LocalEnvironment);
    expect(loaded.labels).toEqual(new Set(['a', 'b']));
  });

  describe('execute', () => {
    it('runs the flow storage.getFlow returns for the location (8.2.6)', async () => {
      const sideEffects: string[] = [];
      const storage = new FakeStorage(() => oneTaskFlow(() => sideEffects.push('ran')));
      const outcome = await outcomeOf(await new LocalEnvironment().execute(storage, 'somewhere/flow.ts'));
      expect(storage.requestedLocations).toEqual(['somewhere/flow.ts']);
      expect(sideEffects).toEqual(['ran']);
      expect(outcome.state).toBe('Success');
      expect(outcome.result?.tasks['body']?.state).toBe('Success');
    });

    describe('with LocalStorage and a flow file', () => {
      let directory: string;
      beforeEach(async () => {
        directory = await mkdtemp(join(tmpdir(), 'flowenv-env-local-'));
      });
      afterEach(async () => {
        await rm(directory, { recursive: true, force: true });
      });

      it('loads the flow module from storage and runs it in this process (8.2.6)', async () => {
        const storage = new LocalStorage();
        const location = await storage.addFlow(new Flow({ name: 'write-file' }), writeFileFlowPath);
        const outputPath = join(directory, 'output.txt');
        const handle = await new LocalEnvironment().execute(storage, location, { parameters: { outputPath } });
        expect(await readFile(outputPath, 'utf8')).toBe('success');
        expect(handle?.kind).toBe('in-process');
        expect((await outcomeOf(handle)).state).toBe('Success');
      });

      it('refuses a location the storage does not hold', async () => {
        const error = await rejectionOf(new LocalEnvironment().execute(new LocalStorage(), writeFileFlowPath));
        expect(FlowenvError.isInstance(error) && error.code).toBe('FLOW_NOT_IN_STORAGE');
      });
    });

    it('passes parameters to the flow: execute(storage, loc, { parameters: { x: 42 } }) (8.2.8, decided semantics)', async () => {
      const seen: unknown[] = [];
      const storage = new FakeStorage(() => {
        const flow = new Flow({ name: 'with-parameter' });
        const x = flow.parameter('x');
        flow.task('use-x', { upstream: { x } }, ({ x }) => void seen.push(x));
        return flow;
      });
      const outcome = await outcomeOf(await new LocalEnvironment().execute(storage, 'loc', { parameters: { x: 42 } }));
      expect(seen).toEqual([42]);
      expect(outcome.result?.parameters).toEqual({ x: 42 });
    });

    it('rejects an unknown parameter before any task runs', async () => {
      const sideEffects: string[] = [];
      const storage = new FakeStorage(() => oneTaskFlow(() => sideEffects.push('ran')));
      const error = await rejectionOf(new LocalEnvironment().execute(storage, 'loc', { parameters: { x: 42 } }));
      expect(FlowenvError.isInstance(error) && error.code).toBe('PARAMETER_UNKNOWN');
      expect(sideEffects).toEqual([]);
    });

    it('runs the flow through the env runner when getFlow is NOT_IMPLEMENTED (8.2.7)', async () => {
      const sideEffects: string[] = [];
      const storage = new EnvRunnerStorage(async () => {
        const result = await new FlowRunner({ flow: oneTaskFlow(() => sideEffects.push('ran')) }).run();
        expect(result.state).toBe('Success');
      });
      const handle = await new LocalEnvironment().execute(storage, 'env-runner://one-task');
      expect(storage.runnerLocations).toEqual(['env-runner://one-task']);
      expect(sideEffects).toEqual(['ran']);
      expect(handle?.id).toBe('env-runner://one-task');
      expect((await outcomeOf(handle)).state).toBe('Success');
    });

    it('gives the env runner this process environment overlaid with options.env (8.2.9)', async () => {
      const environments: Record<string, string | undefined>[] = [];
      const storage = new EnvRunnerStorage(({ env }) => void environments.push(env));
      await withVariable('FLOWENV_TEST_FROM_PROCESS', 'process value', () =>
        withVariable('FLOWENV_TEST_OVERRIDDEN', 'process value', () =>
          new LocalEnvironment().execute(storage, 'loc', { env: { x: '42', FLOWENV_TEST_OVERRIDDEN: 'option value' } })));
      expect(environments).toHaveLength(1);
      const [env] = environments as [Record<string, string | undefined>];
      expect(env['x']).toBe('42');
      expect(env['FLOWENV_TEST_FROM_PROCESS']).toBe('process value');
      expect(env['FLOWENV_TEST_OVERRIDDEN']).toBe('option value');
      expect(env['PATH']).toBe(process.env['PATH']);
      expect(process.env['x']).toBeUndefined();
    });

    it('lets NOT_IMPLEMENTED through when the storage has no env runner', async () => {
      const storage = new FakeStorage(() => {
        throw new FlowenvError({ code: 'NOT_IMPLEMENTED', message: 'no flow object here' });
      });
      const error = await rejectionOf(new LocalEnvironment().execute(storage, 'loc'));
      expect(FlowenvError.isInstance(error) && error.code).toBe('NOT_IMPLEMENTED');
    });

    it('uses the executor the config names (PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS)', async () => {
      // Two independent tasks that each wait: they overlap only under a parallel executor.
      let inFlight = 0;
      let mostInFlight = 0;
      const storage = new FakeStorage(() => {
        const flow = new Flow({ name: 'two-waits' });
        for (const name of ['first', 'second']) {
          flow.task(name, async () => {
            inFlight++;
            mostInFlight = Math.max(mostInFlight, inFlight);
            await new Promise((resolve) => setTimeout(resolve, 20));
            inFlight--;
          });
        }
        return flow;
      });

      await withVariable(executorVariable, undefined, () => new LocalEnvironment().execute(storage, 'loc'));
      expect(mostInFlight).toBe(1);

      mostInFlight = 0;
      const handle = await withVariable(executorVariable, '@flowenv/core#LocalParallelExecutor', () =>
        new LocalEnvironment().execute(storage, 'loc'));
      expect((await outcomeOf(handle)).state).toBe('Success');
      expect(mostInFlight).toBe(2);
    });

    it('fails with EXECUTOR_NOT_FOUND naming the module when the configured executor cannot be loaded (0.11 fell back silently)', async () => {
      const calls: string[] = [];
      const environment = new LocalEnvironment({ onExit: () => void calls.push('exit') });
      const storage = new FakeStorage(() => oneTaskFlow(() => calls.push('body')));
      const error = await withVariable(executorVariable, 'flowenv-no-such-executor-package#Missing', () =>
        rejectionOf(environment.execute(storage, 'loc')));
      expect(FlowenvError.isInstance(error)).toBe(true);
      expect((error as FlowenvError).code).toBe('EXECUTOR_NOT_FOUND');
      expect((error as FlowenvError).message).toContain('flowenv-no-such-executor-package');
      expect(calls).toEqual(['exit']);
    });
  });

  describe('hooks (spec 1.6, 8.2.10)', () => {
    it('calls onStart, then the flow, then onExit around a successful run', async () => {
      const calls: string[] = [];
      const environment = new LocalEnvironment({ onStart: () => void calls.push('start'), onExit: () => void calls.push('exit') });
      await environment.execute(new FakeStorage(() => oneTaskFlow(() => calls.push('body'))), 'loc');
      expect(calls).toEqual(['start', 'body', 'exit']);
    });

    it('awaits async hooks', async () => {
      const calls: string[] = [];
      const later = (name: string) => async (): Promise<void> => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        calls.push(name);
      };
      const environment = new LocalEnvironment({ onStart: later('start'), onExit: later('exit') });
      await environment.execute(new FakeStorage(() => oneTaskFlow(() => calls.push('body'))), 'loc');
      expect(calls).toEqual(['start', 'body', 'exit']);
    });

    it('treats a Failed flow as a result: no throw, onExit runs', async () => {
      const calls: string[] = [];
      const environment = new LocalEnvironment({ onStart: () => void calls.push('start'), onExit: () => void calls.push('exit') });
      const storage = new FakeStorage(() =>
        oneTaskFlow(() => {
          calls.push('body');
          throw new Error('task broke');
        }));
      const outcome = await outcomeOf(await environment.execute(storage, 'loc'));
      expect(calls).toEqual(['start', 'body', 'exit']);
      expect(outcome.state).toBe('Failed');
      expect(outcome.result?.tasks['body']?.error?.message).toBe('task broke');
    });

    it('runs onExit and lets the error through when loading the flow throws, without logging it', async () => {
      const calls: string[] = [];
      const logs = captureLogs();
      try {
        const environment = new LocalEnvironment({ onStart: () => void calls.push('start'), onExit: () => void calls.push('exit') });
        const loadError = new Error('cannot load');
        const storage = new FakeStorage(() => {
          throw loadError;
        });
        expect(await rejectionOf(environment.execute(storage, 'loc'))).toBe(loadError);
        expect(calls).toEqual(['start', 'exit']);
        expect(logs.records).toEqual([]);
      } finally {
        logs.restore();
      }
    });

    it('runs nothing and not onExit when onStart throws', async () => {
      const calls: string[] = [];
      const storage = new FakeStorage(() => oneTaskFlow(() => calls.push('body')));
      const environment = new LocalEnvironment({
        onStart: () => {
          throw new Error('start refused');
        },
        onExit: () => void calls.push('exit'),
      });
      await expect(environment.execute(storage, 'loc')).rejects.toThrow('start refused');
      expect(calls).toEqual([]);
      expect(storage.requestedLocations).toEqual([]);
    });

    it('lets an error thrown by onExit replace the run error', async () => {
      const storage = new FakeStorage(() => {
        throw new Error('cannot load');
      });
      const environment = new LocalEnvironment({
        onExit: () => {
          throw new Error('exit broke');
        },
      });
      await expect(environment.execute(storage, 'loc')).rejects.toThrow('exit broke');
    });

    it('turns a successful run into an error when onExit throws', async () => {
      const calls: string[] = [];
      const environment = new LocalEnvironment({
        onExit: () => {
          throw new Error('exit broke');
        },
      });
      await expect(environment.execute(new FakeStorage(() => oneTaskFlow(() => calls.push('body'))), 'loc')).rejects.toThrow('exit broke');
      expect(calls).toEqual(['body']);
    });
  });
});

describe('base Environment with a storage (spec 8.1.5, 8.1.6)', () => {
  it('setup(storage) is a harmless no-op', async () => {
    await expect(new Environment().setup(new LocalStorage())).resolves.toBeUndefined();
  });

  it('execute(storage, "") is a harmless no-op', async () => {
    const storage = new FakeStorage(() => oneTaskFlow());
    await expect(new Environment().execute(storage, '')).resolves.toBeUndefined();
    expect(storage.requestedLocations).toEqual([]);
  });
});

describeEnvironmentConformance({
  environmentClass: LocalEnvironment,
  create: (options) => new LocalEnvironment(options),
  dependencies: [],
  runWithHooks: (environment, markBody) => environment.execute(new FakeStorage(() => oneTaskFlow(markBody)), 'loc'),
  setupStorage: () => new FakeStorage(() => oneTaskFlow()),
});
