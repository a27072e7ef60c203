import { FlowenvError, parseOptions, type Config } from '@flowenv/core';
import { z } from 'zod';
import { daskSecuritySchema, securityAddressProblem, type DaskSecurity } from './dask-security.js';
import { defaultTaskHostScript } from './package-files.js';

/** A cluster the executor runs on and owns: it reads `address`, may call `adapt`, and calls `close` when it closes. */
export interface DaskCluster {
  /** The scheduler address, `tcp://host:port` or `tls://host:port`. */
  readonly address: string;
  adapt?(minimum: number, maximum: number): unknown;
  close?(): unknown;
}

export interface DaskExecutorOptions {
  /**
   * Scheduler address of a running cluster (`tcp://host:8786`, `tls://host:8786`). Default: config
   * `engine.executor.dask.address` (PREFECT__ENGINE__EXECUTOR__DASK__ADDRESS); when neither that
   * nor `cluster` is given, the executor starts a LocalDaskCluster for itself and closes it with
   * itself, as Prefect 0.11's DaskExecutor started a LocalCluster.
   */
  address?: string | null;
  /** TLS files for a `tls://` scheduler (default none). Refused with a `tcp://` address. */
  security?: DaskSecurity | null;
  /** How long to try reaching the scheduler before failing (default 10000 ms). */
  connectTimeoutMs?: number;
  /**
   * The Python that runs the bridge; it needs the `distributed` package, the same version and
   * Python minor version as the cluster. Default: config `engine.executor.dask.python`
   * (PREFECT__ENGINE__EXECUTOR__DASK__PYTHON), else `python3`.
   */
  python?: string;
  /** Verbose Dask logs from the bridge and the task hosts (default: config `debug`, PREFECT__DEBUG, else false). */
  debug?: boolean;
  /**
   * A cluster object instead of an address (e.g. a started LocalDaskCluster): the executor uses
   * its `address` and closes it when the executor closes (default none).
   */
  cluster?: DaskCluster | null;
  /** With `cluster`: call `cluster.adapt(adaptMinimum, adaptMaximum)` before the first run (default: no adapt). */
  adaptMinimum?: number;
  /** Upper bound for `adapt` (default: `adaptMinimum`, at least 1). */
  adaptMaximum?: number;
  /** The `node` command on the workers (default `node`, from the workers' PATH). */
  workerNode?: string;
  /**
   * Path of this package's task host on the workers (default: dist/task-host.js of the installed
   * @flowenv/dask, i.e. the same path as here, as in a shared image).
   */
  taskHostScript?: string;
  /** A task host idle this long exits; the next task starts a new one (default 60000 ms). */
  hostIdleTimeoutMs?: number;
}

/** Options with every default applied. */
export interface ResolvedDaskExecutorOptions {
  address: string | undefined;
  cluster: DaskCluster | undefined;
  security: Required<DaskSecurity> | undefined;
  connectTimeoutMs: number;
  python: string;
  debug: boolean;
  adapt: { minimum: number; maximum: number } | undefined;
  workerNode: string;
  taskHostScript: string;
  hostIdleTimeoutMs: number;
}

const clusterSchema = z.custom<DaskCluster>(
  (value) => typeof value === 'object' && value !== null && typeof (value as { address?: unknown }).address === 'string',
  { message: 'expected a cluster object with an `address` string (e.g. a started LocalDaskCluster)' },
);

const milliseconds = z.number().int().positive();

const optionsSchema = z
  .object({
    address: z.string().min(1).nullish(),
    security: daskSecuritySchema.nullish(),
    connectTimeoutMs: milliseconds.default(10_000),
    python: z.string().min(1).optional(),
    debug: z.boolean().optional(),
    cluster: clusterSchema.nullish(),
    adaptMinimum: z.number().int().nonnegative().optional(),
    adaptMaximum: z.number().int().positive().optional(),
    workerNode: z.string().min(1).default('node'),
    taskHostScript: z.string().min(1).optional(),
    hostIdleTimeoutMs: milliseconds.default(60_000),
  })
  .strict()
  .superRefine((options, context) => {
    if (options.address != null && options.cluster != null) {
      context.addIssue({ code: 'custom', path: ['cluster'], message: 'pass either `address` or `cluster`, not both' });
    }
    const adapting = options.adaptMinimum !== undefined || options.adaptMaximum !== undefined;
    if (adapting && options.cluster == null) {
      context.addIssue({ code: 'custom', path: ['adaptMinimum'], message: 'adaptMinimum/adaptMaximum need `cluster` (an object with adapt(minimum, maximum))' });
    } else if (adapting && typeof options.cluster?.adapt !== 'function') {
      context.addIssue({ code: 'custom', path: ['cluster'], message: 'this cluster has no adapt(minimum, maximum) method: drop adaptMinimum/adaptMaximum or scale it yourself' });
    }
    const minimum = options.adaptMinimum ?? 0;
    if (options.adaptMaximum !== undefined && options.adaptMaximum < minimum) {
      context.addIssue({ code: 'custom', path: ['adaptMaximum'], message: `must be >= adaptMinimum (${minimum})` });
    }
    if (options.address != null && options.security != null) {
      const problem = securityAddressProblem(options.address, options.security);
      if (problem !== undefined) context.addIssue({ code: 'custom', path: ['security'], message: problem });
    }
  });

/**
 * Validates DaskExecutor options (OPTIONS_INVALID naming the field) and fills in defaults from
 * `config` (engine.executor.dask.address / .python, debug).
 */
export function resolveDaskExecutorOptions(options: unknown, config: Config): ResolvedDaskExecutorOptions {
  const parsed = parseOptions('DaskExecutor', optionsSchema, options);
  const configuredAddress = config.getString('engine.executor.dask.address', '');
  const address = parsed.address ?? (parsed.cluster == null && configuredAddress !== '' ? configuredAddress : undefined);
  const security = parsed.security ?? undefined;
  if (address !== undefined && parsed.address == null) {
    const problem = securityAddressProblem(address, security);
    if (problem !== undefined) {
      throw new FlowenvError({ code: 'OPTIONS_INVALID', message: `DaskExecutor: invalid options: \`security\`: ${problem} (the address came from PREFECT__ENGINE__EXECUTOR__DASK__ADDRESS)` });
    }
  }
  const adapting = parsed.adaptMinimum !== undefined || parsed.adaptMaximum !== undefined;
  const minimum = parsed.adaptMinimum ?? 0;
  return {
    address,
    cluster: parsed.cluster ?? undefined,
    security,
    connectTimeoutMs: parsed.connectTimeoutMs,
    python: parsed.python ?? nonEmpty(config.getString('engine.executor.dask.python', '')) ?? 'python3',
    debug: parsed.debug ?? config.get('debug') === true,
    adapt: adapting ? { minimum, maximum: parsed.adaptMaximum ?? Math.max(minimum, 1) } : undefined,
    workerNode: parsed.workerNode,
    taskHostScript: parsed.taskHostScript ?? defaultTaskHostScript(),
    hostIdleTimeoutMs: parsed.hostIdleTimeoutMs,
  };
}

function nonEmpty(value: string): string | undefined {
  return value === '' ? undefined : value;
}
