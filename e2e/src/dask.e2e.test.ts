// DaskExecutor, LocalDaskCluster and RemoteDaskEnvironment against real Dask clusters: the testenv
// cluster (distributed FLOWENV_DASK_VERSION), clusters this suite starts itself (TLS, a worker
// killed mid-run, Debian's distributed 2022.12.1), and what is left running afterwards.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Flow, FlowenvError, FlowRunner, LocalStorage, loadFlow, setLogSink, type FlowRunResult } from '@flowenv/core';
import { DaskExecutor, LocalDaskCluster } from '@flowenv/dask';
import { RemoteDaskEnvironment } from '@flowenv/env-dask-remote';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bridgeScript,
  clusterScript,
  flowenvDaskProcesses,
  generateCertificates,
  isAlive,
  listProcesses,
  processesRunning,
  taskHostScript,
  waitUntilGone,
  type TlsFiles,
} from './fixtures/dask-processes.js';
import { repositoryRoot, requireServiceEnv } from './testenv.js';

const env = requireServiceEnv('dask', ['DASK_ADDRESS', 'FLOWENV_DASK_PYTHON', 'FLOWENV_DASK_VERSION', 'FLOWENV_DASK_DEBIAN_PYTHON'] as const);
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const fanFlowPath = fixture('dask-fan-flow.ts');
const faultsFlowPath = fixture('dask-faults-flow.ts');
const slowFlowPath = fixture('dask-slow-flow.ts');
// sum over 200 leaves of (seed + index), seed = base = 1
const expectedFanSum = (base: number): number => 200 * base + (199 * 200) / 2;

interface FanTotal {
  sum: number;
  count: number;
  hosts: number[];
}

async function runFlow(path: string, executor: DaskExecutor, parameters: Record<string, unknown> = {}): Promise<FlowRunResult> {
  const flow = await loadFlow(path);
  return new FlowRunner({ flow }).run({ executor, parameters, runContext: { secrets: { TOKEN: 'secret-value' }, flowRunId: 'e2e-run' } });
}

function expectFanSuccess(result: FlowRunResult, base = 1): FanTotal {
  expect(result.message).toBe('All 203 tasks succeeded');
  expect(result.state).toBe('Success');
  const total = result.tasks['total']?.result as FanTotal;
  expect(total.count).toBe(200);
  expect(total.sum).toBe(expectedFanSum(base));
  for (let index = 0; index < 200; index += 37) {
    expect((result.tasks[`leaf-${index}`]?.result as { value: number }).value).toBe(base + index);
  }
  return total;
}

async function failureOf(promise: Promise<unknown>): Promise<FlowenvError> {
  try {
    await promise;
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a FlowenvError');
}

/** A TCP port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

const leftBehind = (): string[] => flowenvDaskProcesses().map(({ pid, commandLine }) => `${pid}: ${commandLine.slice(0, 160)}`);

let restoreSink: () => void;
beforeAll(() => {
  // Dask's own logs go to the debug level; keep the test output to the results.
  restoreSink = setLogSink((record) => {
    if (record.level === 'error' || record.level === 'critical') process.stderr.write(`${record.logger}: ${record.message}\n`);
  });
  expect(leftBehind(), 'flowenv Dask processes were running before the suite').toEqual([]);
});

afterAll(async () => {
  restoreSink();
  // Nothing this suite started may still run: no bridge, no cluster process, no task host.
  const pids = flowenvDaskProcesses().map((process) => process.pid);
  expect(await waitUntilGone(pids, 20_000), `left behind: ${leftBehind().join('\n')}`).toEqual([]);
});

describe(`DaskExecutor on the testenv cluster (distributed ${env.FLOWENV_DASK_VERSION})`, () => {
  let executor: DaskExecutor;
  beforeAll(() => {
    executor = new DaskExecutor({ address: env.DASK_ADDRESS, python: env.FLOWENV_DASK_PYTHON });
  });
  afterAll(async () => {
    await executor.close();
  });

  it('runs a 200-task fan-out/fan-in flow over TCP to Success with correct results', async () => {
    const info = await executor.connectionInfo();
    expect(info.scheduler).toBe(env.DASK_ADDRESS);
    expect(info.distributed).toBe(env.FLOWENV_DASK_VERSION);
    expect(info.workers).toBeGreaterThanOrEqual(1);
    expectFanSuccess(await runFlow(fanFlowPath, executor));
    // The same executor runs again, with other parameters, on the task hosts it already has.
    expectFanSuccess(await runFlow(fanFlowPath, executor, { base: 5 }), 5);
  });

  it('reports JS errors with name, message and stack; retries, timeouts and upstream failures work on the workers', async () => {
    const result = await runFlow(faultsFlowPath, executor);
    expect(result.state).toBe('Failed');
    const { tasks } = result;
    expect(tasks['boom']).toMatchObject({ state: 'Failed', message: 'boom: got 42', error: { name: 'TypeError', message: 'boom: got 42' } });
    expect(tasks['boom']?.error?.stack).toContain('dask-faults-flow.ts');
    expect(tasks['after-boom']).toMatchObject({ state: 'UpstreamFailed', message: 'Upstream task "boom" ended in Failed' });
    expect(tasks['flaky']).toMatchObject({ state: 'Success', result: 'succeeded on attempt 3', attempts: 3 });
    expect(tasks['slow']).toMatchObject({ state: 'TimedOut', message: 'Task "slow" timed out after 200 ms' });
    expect(tasks['after-crash']).toMatchObject({ state: 'Success', result: 'after no crash' });
    // The run context (run id, secrets) reaches tasks on the workers.
    expect(tasks['context']?.result).toEqual({ flowRunId: 'e2e-run', secret: 'secret-value' });
  });

  it('fails the task whose task host dies, with the exit code; the next task gets a fresh host', async () => {
    const crashed = await runFlow(faultsFlowPath, executor, { shouldCrash: true });
    expect(crashed.tasks['crash']).toMatchObject({
      state: 'Failed',
      message: 'The Node task host exited with code 7 while running task "crash"',
      error: { name: 'TaskHostExited', exitCode: 7 },
    });
    expect(crashed.tasks['after-crash']?.state).toBe('UpstreamFailed');
    expect(crashed.tasks['flaky']?.state).toBe('Success');
    // Every task of the next runs finds a working host again.
    const again = await runFlow(faultsFlowPath, executor);
    expect(again.tasks['crash']).toMatchObject({ state: 'Success', result: 'no crash' });
    expectFanSuccess(await runFlow(fanFlowPath, executor));
  });

  it('leaves no bridge and no task host behind once closed', async () => {
    const ourBridges = (): number[] => processesRunning(bridgeScript).filter((entry) => entry.ppid === process.pid).map((entry) => entry.pid);
    const taskHosts = (): number[] => processesRunning(taskHostScript).map((entry) => entry.pid);
    const bridgesBefore = ourBridges(); // the describe's executor
    const hostsBefore = taskHosts();
    expect(bridgesBefore).toHaveLength(1);

    const other = new DaskExecutor({ address: env.DASK_ADDRESS, python: env.FLOWENV_DASK_PYTHON });
    expectFanSuccess(await runFlow(fanFlowPath, other));
    const otherBridges = ourBridges().filter((pid) => !bridgesBefore.includes(pid));
    const otherHosts = taskHosts().filter((pid) => !hostsBefore.includes(pid));
    expect(otherBridges).toHaveLength(1);
    expect(otherHosts.length).toBeGreaterThanOrEqual(1);

    await other.close();
    expect(await waitUntilGone([...otherBridges, ...otherHosts], 15_000)).toEqual([]);
    // Closing one executor leaves another one's hosts alone …
    expect(hostsBefore.every(isAlive)).toBe(true);
    // … until that one closes too.
    await executor.close();
    expect(await waitUntilGone([...bridgesBefore, ...hostsBefore], 15_000)).toEqual([]);
  });
});

describe('DaskExecutor on a TLS cluster with certificates made by the test', () => {
  let directory: string;
  let tls: TlsFiles;
  let cluster: LocalDaskCluster;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'flowenv-dask-tls-'));
    tls = generateCertificates(directory);
    cluster = await LocalDaskCluster.start({ workers: 2, python: env.FLOWENV_DASK_PYTHON, security: tls });
  });
  afterAll(async () => {
    await cluster?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('runs the 200-task flow over tls:// to Success', async () => {
    expect(cluster.address).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
    const executor = new DaskExecutor({ address: cluster.address, security: tls, python: env.FLOWENV_DASK_PYTHON });
    try {
      expect((await executor.connectionInfo()).workers).toBe(2);
      expectFanSuccess(await runFlow(fanFlowPath, executor));
    } finally {
      await executor.close();
    }
  });

  it('refuses the same TLS files with a tcp:// address, before connecting', () => {
    const address = cluster.address.replace('tls://', 'tcp://');
    let caught: unknown;
    try {
      new DaskExecutor({ address, security: tls });
    } catch (error) {
      caught = error;
    }
    expect(FlowenvError.isInstance(caught) && caught.code).toBe('OPTIONS_INVALID');
    expect((caught as Error).message).toContain(`use ${cluster.address}`);
  });

  it('cannot connect without the TLS files: a FlowenvError naming the address', async () => {
    const executor = new DaskExecutor({ address: cluster.address, python: env.FLOWENV_DASK_PYTHON, connectTimeoutMs: 3_000 });
    const error = await failureOf(executor.connectionInfo());
    expect(error.code).toBe('EXECUTOR_FAILED');
    expect(error.message).toContain(cluster.address);
    await executor.close();
  });
});

describe('a worker killed in the middle of a flow', () => {
  let cluster: LocalDaskCluster;
  beforeAll(async () => {
    cluster = await LocalDaskCluster.start({ workers: 2, python: env.FLOWENV_DASK_PYTHON });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('is replaced by Dask, its tasks are rescheduled and the flow still succeeds', async () => {
    const executor = new DaskExecutor({ cluster, python: env.FLOWENV_DASK_PYTHON });
    let workerPids: number[] = [];
    try {
      // Warm up, so both workers have a task host and the run below spreads over both.
      await runFlow(slowFlowPath, executor, { delayMs: 10 });
      const workers = await cluster.workers();
      expect(workers).toHaveLength(2);
      const victim = workers[0]?.pid as number;
      const victimHosts = processesRunning(taskHostScript).filter((host) => host.ppid === victim).map((host) => host.pid);
      expect(victimHosts).toHaveLength(1);
      const run = runFlow(slowFlowPath, executor, { delayMs: 300 });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      process.kill(victim, 'SIGKILL');
      const result = await run;
      expect(result.state).toBe('Success');
      expect(result.tasks['total']?.result).toBe((39 * 40) / 2 * 2);
      // The killed worker's task host went with it; the nanny started a new worker.
      expect(await waitUntilGone([victim, ...victimHosts], 10_000)).toEqual([]);
      const replaced = await cluster.workers();
      expect(replaced.map((worker) => worker.pid)).not.toContain(victim);
      workerPids = replaced.map((worker) => worker.pid as number);
    } finally {
      // The executor was given the cluster: closing it closes the cluster too.
      await executor.close();
    }
    expect(await waitUntilGone([cluster.pid as number, ...workerPids], 15_000)).toEqual([]);
  });
});

describe('LocalDaskCluster on another interface (option host)', () => {
  it('listens on the given address, and a flow runs on it', async () => {
    // 127.0.0.2: loopback too on Linux, but not the default 127.0.0.1.
    const cluster = await LocalDaskCluster.start({ workers: 1, python: env.FLOWENV_DASK_PYTHON, host: '127.0.0.2' });
    const executor = new DaskExecutor({ cluster, python: env.FLOWENV_DASK_PYTHON });
    try {
      expect(cluster.address).toMatch(/^tcp:\/\/127\.0\.0\.2:\d+$/);
      expect((await cluster.workers()).map((worker) => worker.address)).toEqual([expect.stringMatching(/^tcp:\/\/127\.0\.0\.2:/)]);
      const result = await runFlow(slowFlowPath, executor, { delayMs: 1 });
      expect(result.state).toBe('Success');
    } finally {
      await executor.close();
    }
  });
});

describe('an unreachable scheduler', () => {
  it('fails with a FlowenvError naming the address, within the connect timeout', async () => {
    const address = `tcp://127.0.0.1:${await closedPort()}`;
    const connectTimeoutMs = 3_000;
    const executor = new DaskExecutor({ address, python: env.FLOWENV_DASK_PYTHON, connectTimeoutMs });
    const started = Date.now();
    const error = await failureOf(runFlow(fanFlowPath, executor));
    const elapsed = Date.now() - started;
    expect(error.code).toBe('EXECUTOR_FAILED');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`could not connect to the Dask scheduler at ${address}`);
    // The timeout, plus starting Python and importing distributed (about a second here).
    expect(elapsed).toBeLessThan(connectTimeoutMs + 5_000);
    await executor.close();
    expect(processesRunning(bridgeScript).filter((process) => process.ppid === globalThis.process.pid)).toEqual([]);
  });
});

describe("Debian's distributed 2022.12.1", () => {
  let cluster: LocalDaskCluster;
  beforeAll(async () => {
    cluster = await LocalDaskCluster.start({ workers: 2, python: env.FLOWENV_DASK_DEBIAN_PYTHON });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('runs the 200-task flow and the failure cases (register_worker_plugin era)', async () => {
    const executor = new DaskExecutor({ address: cluster.address, python: env.FLOWENV_DASK_DEBIAN_PYTHON });
    try {
      expect((await executor.connectionInfo()).distributed).toMatch(/^2022\.12\.1/);
      expectFanSuccess(await runFlow(fanFlowPath, executor));
      const faults = await runFlow(faultsFlowPath, executor, { shouldCrash: true });
      expect(faults.tasks['boom']?.error).toMatchObject({ name: 'TypeError', message: 'boom: got 42' });
      expect(faults.tasks['flaky']?.attempts).toBe(3);
      expect(faults.tasks['crash']?.error?.exitCode).toBe(7);
      expect(faults.tasks['after-crash']?.state).toBe('UpstreamFailed');
    } finally {
      await executor.close();
    }
  });

  it('closes task hosts that sit idle, and starts fresh ones for the next tasks', async () => {
    const executor = new DaskExecutor({ address: cluster.address, python: env.FLOWENV_DASK_DEBIAN_PYTHON, hostIdleTimeoutMs: 1_000 });
    try {
      const workerPids = (await cluster.workers()).map((worker) => worker.pid);
      const hostsOfCluster = (): number[] => processesRunning(taskHostScript).filter((host) => workerPids.includes(host.ppid)).map((host) => host.pid);
      expectFanSuccess(await runFlow(fanFlowPath, executor));
      const first = hostsOfCluster();
      expect(first.length).toBeGreaterThanOrEqual(1);
      expect(await waitUntilGone(first, 10_000)).toEqual([]);
      expectFanSuccess(await runFlow(fanFlowPath, executor, { base: 2 }), 2);
      const second = hostsOfCluster();
      expect(second.length).toBeGreaterThanOrEqual(1);
      expect(second.some((pid) => first.includes(pid))).toBe(false);
    } finally {
      await executor.close();
    }
  });
});

describe('clusters the executor owns', () => {
  it('starts a LocalDaskCluster of its own when given no address, and stops it on close', async () => {
    const executor = new DaskExecutor({ python: env.FLOWENV_DASK_PYTHON });
    const clusterProcesses = (): number[] => processesRunning(clusterScript).filter((entry) => entry.ppid === process.pid).map((entry) => entry.pid);
    try {
      expectFanSuccess(await runFlow(fanFlowPath, executor));
      expect((await executor.connectionInfo()).scheduler).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
      expect(clusterProcesses()).toHaveLength(1);
    } finally {
      await executor.close();
    }
    expect(clusterProcesses()).toEqual([]);
  });

  it('lets a given cluster adapt between adaptMinimum and adaptMaximum; workers that join later get the task hosts', async () => {
    const cluster = await LocalDaskCluster.start({ workers: 0, python: env.FLOWENV_DASK_PYTHON });
    const executor = new DaskExecutor({ cluster, adaptMinimum: 1, adaptMaximum: 2, python: env.FLOWENV_DASK_PYTHON });
    try {
      expectFanSuccess(await runFlow(fanFlowPath, executor));
      expect((await cluster.workers()).length).toBeGreaterThanOrEqual(1);
    } finally {
      await executor.close();
    }
    expect(await waitUntilGone([cluster.pid as number], 15_000)).toEqual([]);
  });
});

describe('RemoteDaskEnvironment.execute', () => {
  it('runs a flow from storage on the testenv cluster, inside the hooks, and cleans up', async () => {
    const calls: string[] = [];
    const environment = new RemoteDaskEnvironment({
      address: env.DASK_ADDRESS,
      executorOptions: { python: env.FLOWENV_DASK_PYTHON },
      labels: ['dask'],
      onStart: () => void calls.push('start'),
      onExit: () => void calls.push('exit'),
    });
    const storage = new LocalStorage();
    const location = await storage.addFlow(new Flow({ name: 'dask-fan' }), fanFlowPath);
    const handle = await environment.execute(storage, location, { parameters: { base: 3 } });
    const outcome = await handle.wait();
    expect(outcome.state).toBe('Success');
    expectFanSuccess(outcome.result as FlowRunResult, 3);
    expect(calls).toEqual(['start', 'exit']);
    // runLoadedFlow closed the executor: its bridge is gone.
    expect(await waitUntilGone(processesRunning(bridgeScript).filter((process) => process.ppid === globalThis.process.pid).map((process) => process.pid), 5_000)).toEqual([]);
    expect(environment.serialize()).toMatchObject({ type: 'RemoteDaskEnvironment', address: env.DASK_ADDRESS, labels: ['dask'] });
  });
});

describe('a parent process that dies without closing anything', () => {
  // A Node process that starts a LocalDaskCluster and a DaskExecutor on it, runs a flow, reports
  // its children and then waits to be killed.
  const parentScript = `
    import { FlowRunner, loadFlow } from '@flowenv/core';
    import { DaskExecutor, LocalDaskCluster } from '@flowenv/dask';
    const [python, flowPath, testenvAddress] = process.argv.slice(1);
    const cluster = await LocalDaskCluster.start({ workers: 2, python });
    const local = new DaskExecutor({ address: cluster.address, python });
    const remote = new DaskExecutor({ address: testenvAddress, python });
    const flow = await loadFlow(flowPath);
    for (const executor of [local, remote]) {
      const result = await new FlowRunner({ flow }).run({ executor });
      if (result.state !== 'Success') throw new Error(result.message);
    }
    console.log(JSON.stringify({ cluster: cluster.pid, workers: (await cluster.workers()).map((worker) => worker.pid) }));
    setInterval(() => {}, 1000);
  `;

  it('takes its bridges, its cluster, the workers and every task host it started down with it', async () => {
    const hostsBefore = new Set(processesRunning(taskHostScript).map((process) => process.pid));
    const parent = spawn(process.execPath, ['--input-type=module', '-e', parentScript, env.FLOWENV_DASK_PYTHON, fanFlowPath, env.DASK_ADDRESS], {
      cwd: repositoryRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const report = await new Promise<{ cluster: number; workers: number[] }>((resolve, reject) => {
      createInterface({ input: parent.stdout }).once('line', (line) => resolve(JSON.parse(line)));
      parent.once('exit', (code) => reject(new Error(`the parent exited early with ${code}`)));
    });
    const children = listProcesses().filter((process) => process.ppid === parent.pid);
    const bridges = children.filter((process) => process.commandLine.includes(bridgeScript));
    expect(bridges).toHaveLength(2);
    const hosts = processesRunning(taskHostScript).filter((process) => !hostsBefore.has(process.pid));
    expect(hosts.length).toBeGreaterThanOrEqual(2); // on the local cluster's workers and on the testenv's
    const started = [report.cluster, ...report.workers, ...bridges.map((bridge) => bridge.pid), ...hosts.map((host) => host.pid)];

    parent.kill('SIGKILL');
    await once(parent, 'exit');
    expect(await waitUntilGone(started, 30_000), `still running: ${leftBehind().join('\n')}`).toEqual([]);
  });
});
