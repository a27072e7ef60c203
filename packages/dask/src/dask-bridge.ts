import { randomBytes } from 'node:crypto';
import { FlowenvError, type ExecutionPlan, type Logger, type TaskState } from '@flowenv/core';
import { pythonFailureToError, type PythonFailure } from './bridge-failure.js';
import { parseBridgeEvent, type BridgeEvent, type BridgeRequest } from './bridge-protocol.js';
import type { DaskSecurity } from './dask-security.js';
import { finalStates, type TaskOutcome } from './final-states.js';
import { JsonLineProcess } from './json-line-process.js';
import { pythonScript } from './package-files.js';
import { planSubmission } from './plan-submission.js';

export interface DaskBridgeSettings {
  address: string;
  security: Required<DaskSecurity> | undefined;
  connectTimeoutMs: number;
  python: string;
  debug: boolean;
  workerNode: string;
  taskHostScript: string;
  hostIdleTimeoutMs: number;
  logger: Logger;
  /** How long Python may take to import distributed before connecting (default 60000 ms). */
  startTimeoutMs?: number;
}

/** What the bridge learned when it connected. */
export interface DaskBridgeInfo {
  scheduler: string;
  workers: number;
  python: string;
  distributed: string;
}

interface RunTracker {
  taskOfKey: Map<string, string>;
  outcomes: Map<string, TaskOutcome>;
  resolve: () => void;
  reject: (error: Error) => void;
}

type Phase = 'starting' | 'connecting' | 'running';

/**
 * The TypeScript end of the Python bridge: one `python flowenv_dask_bridge.py` child holding one
 * distributed.Client. `run` submits a whole plan and resolves with every task's final state.
 * `close` unregisters the worker plugin (which closes the Node task hosts), disconnects and waits
 * for the child to exit; if this process dies instead, the bridge sees its stdin close and does
 * the same.
 */
export class DaskBridge {
  private readonly process: JsonLineProcess;
  private readonly runs = new Map<string, RunTracker>();
  private readonly runOfKey = new Map<string, RunTracker>();
  private phase: Phase = 'starting';
  private failure: FlowenvError | undefined;
  private readyInfo: DaskBridgeInfo | undefined;
  private onStartEvent: ((event: BridgeEvent) => void) | undefined;

  private constructor(private readonly settings: DaskBridgeSettings) {
    const { logger, debug } = settings;
    this.process = new JsonLineProcess({
      command: settings.python,
      args: [pythonScript('bridge'), JSON.stringify(bridgeArguments(settings))],
      onMessage: (message) => this.handle(message),
      onStderrLine: (line) => (debug ? logger.info(`bridge: ${line}`) : logger.debug(`bridge: ${line}`)),
    });
    void this.process.exited.then((exit) => {
      const failure: PythonFailure = exit.spawnError ? { kind: 'spawn', error: exit.spawnError } : { kind: 'exit', exit, phase: this.phase };
      this.fail(this.error(failure));
    });
  }

  /** Starts the bridge and waits until it is connected and the worker plugin is registered. */
  static async connect(settings: DaskBridgeSettings): Promise<DaskBridge> {
    const bridge = new DaskBridge(settings);
    try {
      await bridge.waitUntilReady();
      return bridge;
    } catch (error) {
      await bridge.process.kill();
      throw error;
    }
  }

  get info(): DaskBridgeInfo {
    return this.readyInfo as DaskBridgeInfo;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Runs every task of the plan on the cluster; resolves with their final states. */
  async run(plan: ExecutionPlan & { flowLocation: string }): Promise<Map<string, TaskState>> {
    if (this.failure !== undefined) throw this.failure;
    if (plan.tasks.length === 0) return new Map();
    const runId = randomBytes(8).toString('hex');
    const submission = planSubmission(plan, runId);
    const outcomes = new Map<string, TaskOutcome>();
    const finished = new Promise<void>((resolve, reject) => {
      const tracker: RunTracker = { taskOfKey: submission.taskOfKey, outcomes, resolve, reject };
      this.runs.set(runId, tracker);
      for (const key of submission.taskOfKey.keys()) this.runOfKey.set(key, tracker);
    });
    this.process.hold();
    try {
      this.send(submission.run);
      this.send(submission.submit);
      await finished;
    } finally {
      this.runs.delete(runId);
      for (const key of submission.taskOfKey.keys()) this.runOfKey.delete(key);
      this.send({ op: 'release', run: runId });
      this.process.release();
    }
    return finalStates(plan, new Map([...outcomes].map(([key, outcome]) => [submission.taskOfKey.get(key) as string, outcome])));
  }

  /** Closes politely (the bridge unregisters its plugin and disconnects), then by signal if needed. */
  async close(graceMs = 20_000): Promise<void> {
    this.fail(new FlowenvError({ code: 'EXECUTOR_FAILED', message: 'DaskExecutor: the executor was closed during the run' }));
    await this.process.stop(graceMs, { op: 'close' } satisfies BridgeRequest);
  }

  private send(request: BridgeRequest): void {
    this.process.send(request);
  }

  private waitUntilReady(): Promise<void> {
    const { startTimeoutMs = 60_000, connectTimeoutMs } = this.settings;
    this.process.hold();
    return new Promise<void>((resolve, reject) => {
      let timer = setTimeout(() => reject(this.error({ kind: 'timeout', phase: 'starting', milliseconds: startTimeoutMs })), startTimeoutMs);
      let settled = false;
      const settle = (error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.onStartEvent = undefined;
        this.process.release();
        if (error) reject(error);
        else resolve();
      };
      this.onStartEvent = (event) => {
        if (event.op === 'connecting') {
          clearTimeout(timer);
          // Python gives up after connectTimeoutMs and says why; this only catches a hung bridge.
          timer = setTimeout(
            () => settle(this.error({ kind: 'timeout', phase: 'connecting', milliseconds: connectTimeoutMs })),
            connectTimeoutMs + 2_000,
          );
        } else if (event.op === 'ready') {
          settle();
        }
      };
      void this.process.exited.then(() => settle(this.failure));
    });
  }

  private handle(message: Record<string, unknown>): void {
    const event = parseBridgeEvent(message);
    if (event === undefined) {
      this.settings.logger.warn(`bridge: unexpected message ${JSON.stringify(message).slice(0, 300)}`);
      return;
    }
    switch (event.op) {
      case 'connecting':
        this.phase = 'connecting';
        this.settings.logger.debug(`connecting to ${this.settings.address} (Python ${event.python}, distributed ${event.distributed})`);
        break;
      case 'ready':
        this.phase = 'running';
        this.readyInfo = { scheduler: event.scheduler, workers: event.workers, python: event.python, distributed: event.distributed };
        this.settings.logger.debug(`connected to ${event.scheduler}: ${event.workers} workers, distributed ${event.distributed}`);
        break;
      case 'done':
        this.record(event.key, { kind: 'state', state: event.state });
        break;
      case 'error':
        this.record(event.key, { kind: 'dask-error', name: event.name, message: event.message, traceback: event.traceback });
        break;
      case 'fatal':
        this.fail(this.error({ kind: 'fatal', fatal: event.kind, message: event.message, ...(event.module === undefined ? {} : { module: event.module }) }));
        break;
    }
    this.onStartEvent?.(event);
  }

  private record(key: string, outcome: TaskOutcome): void {
    const tracker = this.runOfKey.get(key);
    if (tracker === undefined || tracker.outcomes.has(key)) return;
    tracker.outcomes.set(key, outcome);
    if (tracker.outcomes.size === tracker.taskOfKey.size) tracker.resolve();
  }

  /** The first failure sticks: pending runs and later calls get it. */
  private fail(error: FlowenvError): void {
    this.failure ??= error;
    for (const tracker of this.runs.values()) tracker.reject(this.failure);
  }

  private error(failure: PythonFailure): FlowenvError {
    return pythonFailureToError(failure, {
      component: 'DaskExecutor',
      python: this.settings.python,
      address: this.settings.address,
      stderr: this.process.stderrTail(),
    });
  }
}

/** The settings JSON the Python bridge takes as its argument. */
export function bridgeArguments(settings: Omit<DaskBridgeSettings, 'logger'>): Record<string, unknown> {
  return {
    address: settings.address,
    security: settings.security ?? null,
    connectTimeoutSeconds: settings.connectTimeoutMs / 1000,
    pluginName: `flowenv-task-hosts-${randomBytes(6).toString('hex')}`,
    workerNode: settings.workerNode,
    taskHostScript: settings.taskHostScript,
    hostIdleSeconds: settings.hostIdleTimeoutMs / 1000,
    debug: settings.debug,
  };
}
