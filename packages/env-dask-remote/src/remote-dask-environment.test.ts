import { fileURLToPath } from 'node:url';
import { EnvironmentRegistry, Flow, FlowenvError, flowenvVersion, setLogSink, type RunHandle } from '@flowenv/core';
import { describeEnvironmentConformance } from '@flowenv/core/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeStorage } from './__fixtures__/fake-storage.js';
import { recorded } from './__fixtures__/in-process-dask-executor.js';
import { DASK_EXECUTOR, RemoteDaskEnvironment, type RemoteDaskEnvironmentOptions } from './remote-dask-environment.js';

// No cluster in unit tests: `@flowenv/dask#DaskExecutor` resolves to a stand-in that records its
// options and runs tasks here. The real executor runs in e2e/src/dask.e2e.test.ts.
vi.mock('@flowenv/dask', async (importOriginal) => ({
  ...(await importOriginal<Record<string, unknown>>()),
  DaskExecutor: (await import('./__fixtures__/in-process-dask-executor.js')).InProcessDaskExecutor,
}));

const address = 'tcp://scheduler.example:8786';
const security = { caFile: '/tls/ca.pem', certFile: '/tls/client.pem', keyFile: '/tls/client.key' };
const contextFlowPath = fileURLToPath(new URL('./__fixtures__/context-flow.ts', import.meta.url));

function oneTaskFlow(body: () => unknown = () => 'done'): Flow {
  const flow = new Flow({ name: 'one-task' });
  flow.task('body', () => body());
  return flow;
}

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

describe('RemoteDaskEnvironment (spec 2.3, 8.4)', () => {
  let restoreSink: () => void;
  beforeEach(() => {
    restoreSink = setLogSink(() => {});
  });
  afterEach(() => restoreSink());

  describe('construction', () => {
    it('runs with DaskExecutor and executorOptions exactly { address }; defaults otherwise (8.4.1)', () => {
      const environment = new RemoteDaskEnvironment({ address });
      expect(environment.executor).toBe('@flowenv/dask#DaskExecutor');
      expect(environment.executor).toBe(DASK_EXECUTOR);
      expect(environment.executorOptions).toEqual({ address });
      expect(environment.address).toBe(address);
      expect(environment.security).toBeUndefined();
      expect(environment.labels).toEqual(new Set());
      expect(environment.onStart).toBeUndefined();
      expect(environment.onExit).toBeUndefined();
      expect(environment.logger.name).toBe('flowenv.RemoteDaskEnvironment');
      expect(environment.type).toBe('RemoteDaskEnvironment');
    });

    it('adds address and security to the caller\'s executorOptions, without changing the caller\'s object (8.4.2)', () => {
      const onStart = (): void => {};
      const onExit = (): void => {};
      const executorOptions = { arbitrary: 'value' };
      const callerSecurity = { ...security };
      const tlsAddress = 'tls://scheduler.example:8786';
      const environment = new RemoteDaskEnvironment({ address: tlsAddress, security: callerSecurity, executorOptions, labels: ['foo', 'bar', 'foo'], onStart, onExit });
      expect(environment.executorOptions).toEqual({ arbitrary: 'value', address: tlsAddress, security });
      expect(executorOptions).toEqual({ arbitrary: 'value' });
      expect(environment.labels).toEqual(new Set(['foo', 'bar']));
      expect(environment.onStart).toBe(onStart);
      expect(environment.onExit).toBe(onExit);
      // Later changes to the caller's objects do not reach the environment.
      executorOptions.arbitrary = 'changed';
      callerSecurity.caFile = '/elsewhere/ca.pem';
      expect(environment.executorOptions).toEqual({ arbitrary: 'value', address: tlsAddress, security });
    });

    it('lets address and security win over the same keys in executorOptions', () => {
      const environment = new RemoteDaskEnvironment({ address, executorOptions: { address: 'tcp://other:1', connectTimeoutMs: 500 } });
      expect(environment.executorOptions).toEqual({ address, connectTimeoutMs: 500 });
    });

    it('has no dependencies (8.4.3)', () => {
      expect(new RemoteDaskEnvironment({ address }).dependencies).toEqual([]);
    });

    it('requires an address', () => {
      for (const options of [{}, { address: '' }, { address: 42 }]) {
        const error = flowenvErrorOf(() => new RemoteDaskEnvironment(options as unknown as RemoteDaskEnvironmentOptions));
        expect(error.code).toBe('OPTIONS_INVALID');
        expect(error.message).toContain('RemoteDaskEnvironment: invalid options: `address`');
      }
    });

    it('refuses TLS material with a tcp:// address, saying to use tls://', () => {
      const error = flowenvErrorOf(() => new RemoteDaskEnvironment({ address, security }));
      expect(error.code).toBe('OPTIONS_INVALID');
      expect(error.message).toContain('`security`');
      expect(error.message).toContain('use tls://scheduler.example:8786');
    });

    it('rejects incomplete security, non-object executorOptions and unknown keys naming them', () => {
      expect(flowenvErrorOf(() => new RemoteDaskEnvironment({ address: 'tls://s:1', security: { caFile: 'ca' } as never })).message).toContain('`security.certFile`');
      expect(flowenvErrorOf(() => new RemoteDaskEnvironment({ address, executorOptions: 'fast' as never })).message).toContain('`executorOptions`');
      expect(flowenvErrorOf(() => new RemoteDaskEnvironment({ address, executorKwargs: {} } as never)).message).toContain('executorKwargs');
    });
  });

  describe('execute', () => {
    it('loads the flow from storage and runs it with DaskExecutor built from executorOptions, then closes it', async () => {
      const before = { options: recorded.options.length, closed: recorded.closed };
      const storage = new FakeStorage(() => oneTaskFlow());
      const environment = new RemoteDaskEnvironment({ address, executorOptions: { connectTimeoutMs: 500 } });
      const outcome = await outcomeOf(await environment.execute(storage, 'fake://one-task'));
      expect(outcome.state).toBe('Success');
      expect(storage.requestedLocations).toEqual(['fake://one-task']);
      expect(recorded.options.slice(before.options)).toEqual([{ connectTimeoutMs: 500, address }]);
      expect(recorded.closed).toBe(before.closed + 1);
    });

    it('passes parameters to the flow', async () => {
      const flow = new Flow({ name: 'with-parameter' });
      const x = flow.parameter('x');
      flow.task('double', { upstream: { x } }, ({ x }) => (x as number) * 2);
      const outcome = await outcomeOf(await new RemoteDaskEnvironment({ address }).execute(new FakeStorage(() => flow), 'loc', { parameters: { x: 21 } }));
      expect(outcome.result?.tasks['double']?.result).toBe(42);
    });

    it('treats a Failed flow as a result: onExit runs and execute resolves', async () => {
      const calls: string[] = [];
      const environment = new RemoteDaskEnvironment({ address, onExit: () => void calls.push('exit') });
      const outcome = await outcomeOf(await environment.execute(new FakeStorage(() => oneTaskFlow(() => {
        throw new Error('task failed');
      })), 'loc'));
      expect(outcome.state).toBe('Failed');
      expect(calls).toEqual(['exit']);
    });

    it('logs and re-throws an error of the run after onExit', async () => {
      const calls: string[] = [];
      const messages: string[] = [];
      restoreSink();
      restoreSink = setLogSink((record) => void messages.push(record.message));
      const environment = new RemoteDaskEnvironment({ address, onExit: () => void calls.push('exit') });
      const storage = new FakeStorage(() => {
        throw new Error('storage is gone');
      });
      await expect(environment.execute(storage, 'loc')).rejects.toThrow('storage is gone');
      expect(calls).toEqual(['exit']);
      expect(messages).toContain('Unexpected error raised during flow run: Error: storage is gone');
    });
  });

  describe('runFlow (the entry point of `flowenv execute`)', () => {
    it('runs the flow of PREFECT__CONTEXT__FLOW_FILE_PATH with DaskExecutor and this cluster, inside the hooks', async () => {
      const calls: string[] = [];
      const before = recorded.options.length;
      const previous = process.env['PREFECT__CONTEXT__FLOW_FILE_PATH'];
      process.env['PREFECT__CONTEXT__FLOW_FILE_PATH'] = contextFlowPath;
      try {
        const environment = new RemoteDaskEnvironment({ address, onStart: () => void calls.push('start'), onExit: () => void calls.push('exit') });
        const result = await environment.runFlow();
        expect(result.tasks['answer']?.result).toBe(42);
      } finally {
        if (previous === undefined) delete process.env['PREFECT__CONTEXT__FLOW_FILE_PATH'];
        else process.env['PREFECT__CONTEXT__FLOW_FILE_PATH'] = previous;
      }
      expect(calls).toEqual(['start', 'exit']);
      expect(recorded.options.slice(before)).toEqual([{ address }]);
    });
  });

  describe('serialization (spec 5.2)', () => {
    it('carries exactly address and labels, never security or executorOptions', () => {
      const environment = new RemoteDaskEnvironment({ address: 'tls://s:1', security, executorOptions: { python: '/opt/py' }, labels: ['b', 'a'] });
      expect(environment.serialize()).toEqual({ address: 'tls://s:1', labels: ['a', 'b'], __version__: flowenvVersion, type: 'RemoteDaskEnvironment' });
    });

    it('loads back with executorOptions rebuilt as { address }', () => {
      const loaded = new EnvironmentRegistry([RemoteDaskEnvironment]).deserialize({ type: 'RemoteDaskEnvironment', address, labels: ['x'], __version__: '0.11.0' });
      expect(loaded).toBeInstanceOf(RemoteDaskEnvironment);
      expect((loaded as RemoteDaskEnvironment).executorOptions).toEqual({ address });
      expect(loaded.labels).toEqual(new Set(['x']));
    });

    it('refuses a payload without address, naming it', () => {
      expect(() => new EnvironmentRegistry([RemoteDaskEnvironment]).deserialize({ type: 'RemoteDaskEnvironment', labels: [] })).toThrow('`address`');
    });
  });
});

describeEnvironmentConformance({
  environmentClass: RemoteDaskEnvironment,
  create: (options) => new RemoteDaskEnvironment({ address, ...options }),
  dependencies: [],
  runWithHooks: (environment, markBody) => environment.execute(new FakeStorage(() => oneTaskFlow(markBody)), 'loc'),
  setupStorage: () => new FakeStorage(() => oneTaskFlow()),
});
