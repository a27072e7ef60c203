import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EnvironmentRegistry,
  Flow,
  FlowenvError,
  flowenvVersion,
  LocalStorage,
  setLogSink,
  type LogRecord,
  type RunHandle,
} from '@flowenv/core';
import { describeEnvironmentConformance } from '@flowenv/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeStorage } from './__fixtures__/fake-storage.js';
import { recorded } from './__fixtures__/recording-executor.js';
import { RemoteEnvironment, type RemoteEnvironmentOptions } from './remote-environment.js';

const writeFileFlowPath = fileURLToPath(new URL('./__fixtures__/write-file-flow.ts', import.meta.url));
const countFlowPath = fileURLToPath(new URL('./__fixtures__/count-flow.ts', import.meta.url));
const recordingExecutorPath = fileURLToPath(new URL('./__fixtures__/recording-executor.ts', import.meta.url));
const executorVariable = 'PREFECT__ENGINE__EXECUTOR__DEFAULT_CLASS';

function oneTaskFlow(body: () => unknown = () => 'done'): Flow {
  const flow = new Flow({ name: 'one-task' });
  flow.task('body', () => body());
  return flow;
}

/** A flow of `count` independent tasks that each wait a little, counting how many overlap. */
function overlappingFlow(count: number): { flow: Flow; mostInFlight: () => number } {
  let inFlight = 0;
  let most = 0;
  const flow = new Flow({ name: 'overlapping' });
  for (let index = 0; index < count; index++) {
    flow.task(`wait-${index}`, async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 15));
      inFlight--;
      return index;
    });
  }
  return { flow, mostInFlight: () => most };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** The FlowenvError `action` throws (fails the test for anything else). */
function flowenvErrorOf(action: () => unknown): FlowenvError {
  try {
    action();
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw new Error(`expected a FlowenvError, got ${String(error)}`);
  }
  throw new Error('expected a FlowenvError, nothing was thrown');
}

async function outcomeOf(handle: RunHandle | void) {
  if (!handle) throw new Error('execute returned no handle');
  return handle.wait();
}

async function withVariable<T>(name: string, value: string | undefined, body: () => T | Promise<T>): Promise<T> {
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

describe('RemoteEnvironment (spec 8.3)', () => {
  // Every log record of a test, instead of stderr.
  let records: LogRecord[];
  let restoreSink: () => void;
  beforeEach(() => {
    records = [];
    restoreSink = setLogSink((record) => void records.push(record));
  });
  afterEach(() => restoreSink());

  describe('construction', () => {
    it('defaults: config executor (@flowenv/core#LocalExecutor), executorOptions {}, no labels, no hooks (8.3.1)', async () => {
      const environment = await withVariable(executorVariable, undefined, () => new RemoteEnvironment());
      expect(environment.executor).toBe('@flowenv/core#LocalExecutor');
      expect(environment.executorOptions).toEqual({});
      expect(environment.labels).toEqual(new Set());
      expect(environment.onStart).toBeUndefined();
      expect(environment.onExit).toBeUndefined();
      expect(environment.logger.name).toBe('flowenv.RemoteEnvironment');
      expect(environment.type).toBe('RemoteEnvironment');
    });

    it('reads the executor default from config at construction time', async () => {
      const environment = await withVariable(executorVariable, '@flowenv/core#LocalParallelExecutor', () => new RemoteEnvironment());
      expect(environment.executor).toBe('@flowenv/core#LocalParallelExecutor');
      // Changing the config later does not change an environment already built.
      await withVariable(executorVariable, '@flowenv/dask#DaskExecutor', () => {
        expect(environment.executor).toBe('@flowenv/core#LocalParallelExecutor');
      });
    });

    it('treats null executor and executorOptions as absent', async () => {
      const environment = await withVariable(executorVariable, undefined, () =>
        new RemoteEnvironment({ executor: null, executorOptions: null }));
      expect(environment.executor).toBe('@flowenv/core#LocalExecutor');
      expect(environment.executorOptions).toEqual({});
    });

    it('keeps an explicit executor, options, labels and hooks (8.3.2)', () => {
      const onStart = (): void => {};
      const onExit = (): void => {};
      const executorOptions = { maxConcurrency: 3 };
      const environment = new RemoteEnvironment({
        executor: '@flowenv/core#LocalParallelExecutor',
        executorOptions,
        labels: ['foo', 'bar', 'foo'],
        onStart,
        onExit,
      });
      expect(environment.executor).toBe('@flowenv/core#LocalParallelExecutor');
      expect(environment.executorOptions).toEqual({ maxConcurrency: 3 });
      expect(environment.labels).toEqual(new Set(['foo', 'bar']));
      expect(environment.onStart).toBe(onStart);
      expect(environment.onExit).toBe(onExit);
      // The caller's object is copied, not aliased (spec §9 item 5).
      executorOptions.maxConcurrency = 9;
      expect(environment.executorOptions).toEqual({ maxConcurrency: 3 });
    });

    it('has no dependencies (8.3.3)', () => {
      expect(new RemoteEnvironment().dependencies).toEqual([]);
    });

    it('rejects a non-string executor with OPTIONS_INVALID naming `executor`', () => {
      const error = flowenvErrorOf(() => new RemoteEnvironment({ executor: 42 } as unknown as RemoteEnvironmentOptions));
      expect(error.code).toBe('OPTIONS_INVALID');
      expect(error.message).toContain('RemoteEnvironment');
      expect(error.message).toContain('`executor`');
    });

    it('rejects an empty executor with OPTIONS_INVALID naming `executor`', () => {
      const error = flowenvErrorOf(() => new RemoteEnvironment({ executor: '' }));
      expect(error.code).toBe('OPTIONS_INVALID');
      expect(error.message).toContain('`executor`');
    });

    it('rejects non-object executorOptions with OPTIONS_INVALID naming `executorOptions`', () => {
      for (const executorOptions of ['fast', 3, ['a']]) {
        const error = flowenvErrorOf(() => new RemoteEnvironment({ executorOptions } as unknown as RemoteEnvironmentOptions));
        expect(error.code).toBe('OPTIONS_INVALID');
        expect(error.message).toContain('`executorOptions`');
      }
    });

    it('rejects an unknown option key with OPTIONS_INVALID naming it', () => {
      const error = flowenvErrorOf(() => new RemoteEnvironment({ executorKwargs: {} } as unknown as RemoteEnvironmentOptions));
      expect(error.code).toBe('OPTIONS_INVALID');
      expect(error.message).toContain('executorKwargs');
    });
  });

  describe('execute', () => {
    let directory: string;
    beforeEach(async () => {
      directory = await mkdtemp(join(tmpdir(), 'flowenv-env-remote-'));
    });
    afterEach(async () => {
      await rm(directory, { recursive: true, force: true });
    });

    it('loads the flow module from storage and runs it in this process (8.3.4)', async () => {
      const storage = new LocalStorage();
      const location = await storage.addFlow(new Flow({ name: 'write-file' }), writeFileFlowPath);
      const outputPath = join(directory, 'output.txt');
      const handle = await new RemoteEnvironment().execute(storage, location, { parameters: { outputPath } });
      expect(await readFile(outputPath, 'utf8')).toBe('success');
      expect(handle?.kind).toBe('in-process');
      const outcome = await outcomeOf(handle);
      expect(outcome.state).toBe('Success');
      expect(outcome.result?.tasks['write']?.result).toBe(outputPath);
    });

    it('calls onStart, then the flow, then onExit (8.3.5)', async () => {
      const calls: string[] = [];
      const storage = new LocalStorage();
      const location = await storage.addFlow(new Flow({ name: 'write-file' }), writeFileFlowPath);
      const outputPath = join(directory, 'output.txt');
      const environment = new RemoteEnvironment({
        onStart: async () => {
          calls.push(`start, output exists: ${await readFile(outputPath).then(() => true, () => false)}`);
        },
        onExit: async () => {
          calls.push(`exit, output: ${await readFile(outputPath, 'utf8')}`);
        },
      });
      await environment.execute(storage, location, { parameters: { outputPath } });
      expect(calls).toEqual(['start, output exists: false', 'exit, output: success']);
    });

    it('asks the storage for the given location', async () => {
      const storage = new FakeStorage(() => oneTaskFlow());
      await new RemoteEnvironment().execute(storage, 'fake://one-task');
      expect(storage.requestedLocations).toEqual(['fake://one-task']);
    });

    it('really uses @flowenv/core#LocalParallelExecutor with { maxConcurrency: 2 }', async () => {
      const { flow, mostInFlight } = overlappingFlow(5);
      const environment = new RemoteEnvironment({ executor: '@flowenv/core#LocalParallelExecutor', executorOptions: { maxConcurrency: 2 } });
      const outcome = await outcomeOf(await environment.execute(new FakeStorage(() => flow), 'loc'));
      expect(outcome.state).toBe('Success');
      expect(mostInFlight()).toBe(2);
    });

    it('runs tasks one at a time with the default LocalExecutor', async () => {
      const { flow, mostInFlight } = overlappingFlow(3);
      const environment = await withVariable(executorVariable, undefined, () => new RemoteEnvironment());
      await environment.execute(new FakeStorage(() => flow), 'loc');
      expect(mostInFlight()).toBe(1);
    });

    it('maps the Prefect class path prefect.engine.executors.LocalDaskExecutor to the parallel executor', async () => {
      const { flow, mostInFlight } = overlappingFlow(3);
      const environment = new RemoteEnvironment({ executor: 'prefect.engine.executors.LocalDaskExecutor' });
      await environment.execute(new FakeStorage(() => flow), 'loc');
      expect(mostInFlight()).toBe(3);
    });

    it('loads an executor by module path and builds it with executorOptions, then closes it', async () => {
      const before = { options: recorded.options.length, flows: recorded.flows.length, closed: recorded.closed };
      const environment = new RemoteEnvironment({ executor: `${recordingExecutorPath}#RecordingExecutor`, executorOptions: { tag: 'x' } });
      await environment.execute(new FakeStorage(() => oneTaskFlow()), 'loc');
      expect(recorded.options.slice(before.options)).toEqual([{ tag: 'x' }]);
      expect(recorded.flows.slice(before.flows)).toEqual(['one-task']);
      expect(recorded.closed).toBe(before.closed + 1);
    });

    it('fails with EXECUTOR_NOT_FOUND naming the module of an executor that is not installed', async () => {
      const calls: string[] = [];
      const environment = new RemoteEnvironment({
        executor: 'flowenv-no-such-executor-package#Missing',
        onExit: () => void calls.push('exit'),
      });
      const error = await rejectionOf(environment.execute(new FakeStorage(() => oneTaskFlow(() => calls.push('body'))), 'loc'));
      expect(FlowenvError.isInstance(error)).toBe(true);
      expect((error as FlowenvError).code).toBe('EXECUTOR_NOT_FOUND');
      expect((error as FlowenvError).message).toContain('flowenv-no-such-executor-package');
      expect(calls).toEqual(['exit']);
    });

    it('fails with EXECUTOR_NOT_FOUND for a module without that export', async () => {
      const environment = new RemoteEnvironment({ executor: '@flowenv/core#NoSuchExecutor' });
      const error = await rejectionOf(environment.execute(new FakeStorage(() => oneTaskFlow()), 'loc'));
      expect(FlowenvError.isInstance(error) && error.code).toBe('EXECUTOR_NOT_FOUND');
      expect((error as Error).message).toContain('NoSuchExecutor');
    });

    it('fails with OPTIONS_INVALID when the executor refuses its options', async () => {
      const environment = new RemoteEnvironment({ executor: '@flowenv/core#LocalParallelExecutor', executorOptions: { maxConcurrency: 0 } });
      const error = await rejectionOf(environment.execute(new FakeStorage(() => oneTaskFlow()), 'loc'));
      expect(FlowenvError.isInstance(error) && error.code).toBe('OPTIONS_INVALID');
      expect((error as Error).message).toContain('maxConcurrency');
    });

    it('passes parameters to the flow', async () => {
      const flow = new Flow({ name: 'with-parameter' });
      const x = flow.parameter('x');
      flow.task('double', { upstream: { x } }, ({ x }) => (x as number) * 2);
      const outcome = await outcomeOf(await new RemoteEnvironment().execute(new FakeStorage(() => flow), 'loc', { parameters: { x: 21 } }));
      expect(outcome.result?.tasks['double']?.result).toBe(42);
    });
  });

  describe('runFlow (the entry point of `flowenv execute`)', () => {
    it('runs the flow PREFECT__CONTEXT__FLOW_FILE_PATH names with its own executor and options, inside the hooks', async () => {
      const calls: string[] = [];
      const environment = new RemoteEnvironment({
        executor: '@flowenv/core#LocalParallelExecutor',
        executorOptions: { maxConcurrency: 2 },
        onStart: () => void calls.push('start'),
        onExit: () => void calls.push('exit'),
      });
      const result = await withVariable('PREFECT__CONTEXT__FLOW_FILE_PATH', countFlowPath, () =>
        withVariable(executorVariable, undefined, () => environment.runFlow()));
      expect(result.state).toBe('Success');
      expect(result.tasks['most-in-flight']?.result).toBe(2);
      expect(calls).toEqual(['start', 'exit']);
    });

    it('runs tasks one at a time with the default executor', async () => {
      const environment = await withVariable(executorVariable, undefined, () => new RemoteEnvironment());
      const result = await withVariable('PREFECT__CONTEXT__FLOW_FILE_PATH', countFlowPath, () => environment.runFlow());
      expect(result.tasks['most-in-flight']?.result).toBe(1);
    });
  });

  describe('hooks and run errors (spec 1.6)', () => {
    it('treats a Failed flow as a result: no throw, onExit runs, nothing logged as unexpected', async () => {
      const calls: string[] = [];
      const environment = new RemoteEnvironment({ onStart: () => void calls.push('start'), onExit: () => void calls.push('exit') });
      const storage = new FakeStorage(() =>
        oneTaskFlow(() => {
          calls.push('body');
          throw new Error('task broke');
        }));
      const outcome = await outcomeOf(await environment.execute(storage, 'loc'));
      expect(calls).toEqual(['start', 'body', 'exit']);
      expect(outcome.state).toBe('Failed');
      expect(records.filter((record) => record.message.includes('Unexpected error'))).toEqual([]);
    });

    it('logs a run error through its logger, runs onExit, then re-throws', async () => {
      const calls: string[] = [];
      const loadError = new Error('cannot load the flow');
      const environment = new RemoteEnvironment({
        onExit: () => void calls.push(`exit after ${records.length} log record(s)`),
      });
      const storage = new FakeStorage(() => {
        throw loadError;
      });
      expect(await rejectionOf(environment.execute(storage, 'loc'))).toBe(loadError);
      expect(calls).toEqual(['exit after 1 log record(s)']);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        level: 'error',
        logger: 'flowenv.RemoteEnvironment',
        message: 'Unexpected error raised during flow run: Error: cannot load the flow',
      });
    });

    it('runs nothing and not onExit when onStart throws', async () => {
      const calls: string[] = [];
      const storage = new FakeStorage(() => oneTaskFlow(() => calls.push('body')));
      const environment = new RemoteEnvironment({
        onStart: () => {
          throw new Error('start refused');
        },
        onExit: () => void calls.push('exit'),
      });
      await expect(environment.execute(storage, 'loc')).rejects.toThrow('start refused');
      expect(calls).toEqual([]);
      expect(storage.requestedLocations).toEqual([]);
    });

    it('lets an error thrown by onExit replace the run error (the run error is still logged)', async () => {
      const environment = new RemoteEnvironment({
        onExit: () => {
          throw new Error('exit broke');
        },
      });
      const storage = new FakeStorage(() => {
        throw new Error('cannot load');
      });
      await expect(environment.execute(storage, 'loc')).rejects.toThrow('exit broke');
      expect(records.map((record) => record.message)).toEqual(['Unexpected error raised during flow run: Error: cannot load']);
    });
  });

  describe('serialize (spec 5, 8.9)', () => {
    it('writes exactly executor, executor_kwargs, labels, __version__ and type', async () => {
      const environment = await withVariable(executorVariable, undefined, () => new RemoteEnvironment());
      expect(environment.serialize()).toEqual({
        executor: '@flowenv/core#LocalExecutor',
        executor_kwargs: {},
        labels: [],
        __version__: flowenvVersion,
        type: 'RemoteEnvironment',
      });
    });

    it('writes sorted labels and the executor options', () => {
      const environment = new RemoteEnvironment({
        executor: '@flowenv/core#LocalParallelExecutor',
        executorOptions: { maxConcurrency: 2, nested: { list: [1, 'two', null, true] } },
        labels: ['foo', 'bar'],
      });
      expect(environment.serialize()).toEqual({
        executor: '@flowenv/core#LocalParallelExecutor',
        executor_kwargs: { maxConcurrency: 2, nested: { list: [1, 'two', null, true] } },
        labels: ['bar', 'foo'],
        __version__: flowenvVersion,
        type: 'RemoteEnvironment',
      });
    });

    it('refuses executorOptions that are not JSON with SERIALIZATION_INVALID naming the path', () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ callback: () => {} }, 'executorOptions.callback'],
        [{ security: { key: () => 'secret' } }, 'executorOptions.security.key'],
        [{ list: [1, new Date(0)] }, 'executorOptions.list.1'],
        [{ timeout: Number.POSITIVE_INFINITY }, 'executorOptions.timeout'],
      ];
      for (const [executorOptions, path] of cases) {
        const error = flowenvErrorOf(() => new RemoteEnvironment({ executorOptions }).serialize());
        expect(error.code).toBe('SERIALIZATION_INVALID');
        expect(error.message).toContain(`\`${path}\``);
      }
    });

    it('round-trips through the registry (8.9.14, 8.9.15)', () => {
      const registry = new EnvironmentRegistry([RemoteEnvironment]);
      for (const environment of [
        new RemoteEnvironment(),
        new RemoteEnvironment({ labels: ['foo', 'bar'], executor: '@flowenv/core#LocalParallelExecutor', executorOptions: { maxConcurrency: 2 } }),
      ]) {
        const loaded = registry.deserialize(JSON.parse(JSON.stringify(environment.serialize())));
        expect(loaded).toBeInstanceOf(RemoteEnvironment);
        expect(loaded.serialize()).toEqual(environment.serialize());
      }
    });

    it('loads a 0.6.3 payload without labels (8.9.19)', () => {
      const loaded = new EnvironmentRegistry([RemoteEnvironment]).deserialize({
        executor: 'prefect.engine.executors.LocalExecutor',
        executor_kwargs: {},
        __version__: '0.6.3',
        type: 'RemoteEnvironment',
      }) as RemoteEnvironment;
      expect(loaded).toBeInstanceOf(RemoteEnvironment);
      expect(loaded.labels).toEqual(new Set());
      expect(loaded.executor).toBe('prefect.engine.executors.LocalExecutor');
      expect(loaded.executorOptions).toEqual({});
    });

    it('loads null executor and executor_kwargs as the config default and {}', async () => {
      const loaded = await withVariable(executorVariable, undefined, () =>
        new EnvironmentRegistry([RemoteEnvironment]).deserialize({ type: 'RemoteEnvironment', executor: null, executor_kwargs: null }) as RemoteEnvironment);
      expect(loaded.executor).toBe('@flowenv/core#LocalExecutor');
      expect(loaded.executorOptions).toEqual({});
    });
  });
});

describeEnvironmentConformance({
  environmentClass: RemoteEnvironment,
  create: (options) => new RemoteEnvironment(options),
  dependencies: [],
  runWithHooks: (environment, markBody) => environment.execute(new FakeStorage(() => oneTaskFlow(markBody)), 'loc'),
  setupStorage: () => new FakeStorage(() => oneTaskFlow()),
});
