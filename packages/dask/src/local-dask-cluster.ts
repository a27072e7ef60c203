import { availableParallelism } from 'node:os';
import { createLogger, FlowenvError, loadConfig, parseOptions, type Logger } from '@flowenv/core';
import { z } from 'zod';
import { pythonFailureToError, type PythonFailure } from './bridge-failure.js';
import type { DaskCluster } from './dask-executor-options.js';
import { daskSecuritySchema, type DaskSecurity } from './dask-security.js';
import { JsonLineProcess } from './json-line-process.js';
import { pythonScript } from './package-files.js';

export interface LocalDaskClusterOptions {
  /** Worker processes to start (default: this machine's available parallelism). */
  workers?: number;
  /** Threads per worker, i.e. tasks a worker runs at once (default 1). */
  threadsPerWorker?: number;
  /**
   * The Python with `distributed` that runs the cluster. Default: config
   * `engine.executor.dask.python` (PREFECT__ENGINE__EXECUTOR__DASK__PYTHON), else `python3`.
   */
  python?: string;
  /** TLS for the scheduler, the workers and clients, with one certificate for all (default none: tcp://). */
  security?: DaskSecurity | null;
  /**
   * The interface the scheduler and the workers listen on (default `127.0.0.1`: this machine only).
   * A scheduler that workers on other machines dial (a Dask Kubernetes run's, without host
   * networking) needs an address they can reach, such as the pod's IP.
   */
  host?: string;
  /** Scheduler port on `host` (default 0: a free port). */
  schedulerPort?: number;
  /** Verbose Dask logs (default: config `debug`, PREFECT__DEBUG, else false). */
  debug?: boolean;
  /** How long starting may take before it fails (default 60000 ms). */
  startTimeoutMs?: number;
}

/** One worker of a LocalDaskCluster. */
export interface LocalDaskWorker {
  name: string;
  address: string;
  /** The worker process (its nanny lives in the cluster's own process). */
  pid: number | undefined;
}

const optionsSchema = z
  .object({
    workers: z.number().int().nonnegative().optional(),
    threadsPerWorker: z.number().int().positive().default(1),
    python: z.string().min(1).optional(),
    security: daskSecuritySchema.nullish(),
    host: z.string().min(1).default('127.0.0.1'),
    schedulerPort: z.number().int().min(0).max(65_535).default(0),
    debug: z.boolean().optional(),
    startTimeoutMs: z.number().int().positive().default(60_000),
  })
  .strict();

interface Pending {
  resolve: (workers: LocalDaskWorker[]) => void;
  reject: (error: Error) => void;
}

/**
 * A Dask cluster on 127.0.0.1 (option `host`) for development, tests and per-run clusters, like Python's
 * `distributed.LocalCluster` (which it runs): a scheduler and `workers` worker processes, each
 * under a nanny that restarts it if it dies. Everything is a child of this process and stops with
 * `close()`, or when this process exits (the cluster process sees its stdin close; its workers
 * exit when it does).
 */
export class LocalDaskCluster implements DaskCluster {
  private readonly process: JsonLineProcess;
  private readonly pending = new Map<number, Pending>();
  private readonly logger: Logger = createLogger('flowenv.LocalDaskCluster');
  private nextId = 1;
  private schedulerAddress: string | undefined;
  private latestWorkers: LocalDaskWorker[] = [];
  private failure: FlowenvError | undefined;
  private closing = false;
  private onReady: ((error?: Error) => void) | undefined;

  private constructor(private readonly python: string, settings: Record<string, unknown>, debug: boolean) {
    this.process = new JsonLineProcess({
      command: python,
      args: [pythonScript('cluster'), JSON.stringify(settings)],
      onMessage: (message) => this.handle(message),
      onStderrLine: (line) => (debug ? this.logger.info(line) : this.logger.debug(line)),
    });
    void this.process.exited.then((exit) => {
      const failure: PythonFailure = exit.spawnError
        ? { kind: 'spawn', error: exit.spawnError }
        : { kind: 'exit', exit, phase: this.schedulerAddress === undefined ? 'starting' : 'running' };
      this.fail(this.error(failure));
    });
  }

  /** Starts the scheduler and the workers; resolves once they are up. */
  static async start(options: LocalDaskClusterOptions = {}): Promise<LocalDaskCluster> {
    const parsed = parseOptions('LocalDaskCluster', optionsSchema, options);
    const config = loadConfig();
    const python = parsed.python ?? (config.getString('engine.executor.dask.python', '') || 'python3');
    const debug = parsed.debug ?? config.get('debug') === true;
    const cluster = new LocalDaskCluster(python, {
      workers: parsed.workers ?? availableParallelism(),
      threadsPerWorker: parsed.threadsPerWorker,
      security: parsed.security ?? null,
      host: parsed.host,
      schedulerPort: parsed.schedulerPort,
      debug,
    }, debug);
    try {
      await cluster.waitUntilReady(parsed.startTimeoutMs);
      return cluster;
    } catch (error) {
      await cluster.process.kill();
      throw error;
    }
  }

  /** The scheduler address (`tcp://<host>:port`, or `tls://…` with `security`). */
  get address(): string {
    return this.schedulerAddress as string;
  }

  /** PID of the cluster's own process (scheduler and nannies). */
  get pid(): number | undefined {
    return this.process.pid;
  }

  /** The workers as last reported (after start, scale or workers()). */
  get knownWorkers(): readonly LocalDaskWorker[] {
    return this.latestWorkers;
  }

  /** The current workers, with the PIDs of their processes. */
  workers(): Promise<LocalDaskWorker[]> {
    return this.request({ op: 'workers' });
  }

  /** Starts or retires workers until there are `count`; resolves with the new list. */
  scale(count: number): Promise<LocalDaskWorker[]> {
    if (!Number.isInteger(count) || count < 0) {
      return Promise.reject(new FlowenvError({ code: 'OPTIONS_INVALID', message: `LocalDaskCluster.scale: expected a worker count >= 0, got ${String(count)}` }));
    }
    return this.request({ op: 'scale', workers: count });
  }

  /** Lets Dask scale between `minimum` and `maximum` workers by load (distributed's Adaptive). */
  async adapt(minimum: number, maximum: number): Promise<void> {
    if (!Number.isInteger(minimum) || !Number.isInteger(maximum) || minimum < 0 || maximum < minimum) {
      throw new FlowenvError({ code: 'OPTIONS_INVALID', message: `LocalDaskCluster.adapt: expected 0 <= minimum <= maximum, got ${minimum}, ${maximum}` });
    }
    await this.request({ op: 'adapt', minimum, maximum });
  }

  /** Stops the workers and the scheduler and waits until their processes are gone. Idempotent. */
  async close(): Promise<void> {
    this.closing = true;
    await this.process.stop(40_000, { op: 'close' });
  }

  private request(message: Record<string, unknown>): Promise<LocalDaskWorker[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new FlowenvError({ code: 'EXECUTOR_FAILED', message: 'LocalDaskCluster: the cluster is closed' }));
    const id = this.nextId++;
    this.process.hold();
    return new Promise<LocalDaskWorker[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.process.send({ ...message, id });
    }).finally(() => this.process.release());
  }

  private waitUntilReady(timeoutMs: number): Promise<void> {
    this.process.hold();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.onReady?.(this.error({ kind: 'timeout', phase: 'starting', milliseconds: timeoutMs })), timeoutMs);
      this.onReady = (error) => {
        this.onReady = undefined;
        clearTimeout(timer);
        this.process.release();
        if (error) reject(error);
        else resolve();
      };
    });
  }

  private handle(message: Record<string, unknown>): void {
    const workers = Array.isArray(message['workers']) ? (message['workers'] as LocalDaskWorker[]) : undefined;
    if (workers !== undefined) this.latestWorkers = workers;
    switch (message['op']) {
      case 'ready':
        this.schedulerAddress = String(message['address']);
        this.onReady?.();
        break;
      case 'reply':
      case 'failed': {
        const pending = this.pending.get(Number(message['id']));
        if (pending === undefined) break;
        this.pending.delete(Number(message['id']));
        if (message['op'] === 'reply') pending.resolve(workers ?? []);
        else pending.reject(new FlowenvError({ code: 'EXECUTOR_FAILED', message: `LocalDaskCluster: ${String(message['message'])}` }));
        break;
      }
      case 'fatal':
        this.fail(this.error({
          kind: 'fatal',
          fatal: (message['kind'] as 'missing-module') ?? 'internal',
          message: String(message['message'] ?? ''),
          ...(typeof message['module'] === 'string' ? { module: message['module'] } : {}),
        }));
        break;
      default:
        this.logger.warn(`unexpected message ${JSON.stringify(message).slice(0, 300)}`);
    }
  }

  private fail(error: FlowenvError): void {
    if (this.failure === undefined && !this.closing && this.schedulerAddress !== undefined) {
      this.logger.warn(error.message);
    }
    this.failure ??= error;
    this.onReady?.(this.failure);
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
  }

  private error(failure: PythonFailure): FlowenvError {
    return pythonFailureToError(failure, { component: 'LocalDaskCluster', python: this.python, stderr: this.process.stderrTail() });
  }
}
