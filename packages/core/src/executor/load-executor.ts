import { FlowenvError } from '../errors/flowenv-error.js';
import type { Executor } from './executor.js';
import { LocalExecutor } from './local-executor.js';
import { LocalParallelExecutor } from './local-parallel-executor.js';
import { loadModuleExport } from './load-module-export.js';

type ExecutorClass = new (options: Record<string, unknown>) => Executor;

/** Executors of core, available without a dynamic import. */
const builtinExecutors: Record<string, ExecutorClass> = {
  '@flowenv/core#LocalExecutor': LocalExecutor,
  '@flowenv/core#LocalParallelExecutor': LocalParallelExecutor as ExecutorClass,
};

/**
 * Prefect class paths that existing job templates and configs carry, mapped to the flowenv
 * executor that plays the same role.
 */
export const executorAliases: Readonly<Record<string, string>> = {
  'prefect.engine.executors.LocalExecutor': '@flowenv/core#LocalExecutor',
  'prefect.engine.executors.LocalDaskExecutor': '@flowenv/core#LocalParallelExecutor',
  'prefect.engine.executors.DaskExecutor': '@flowenv/dask#DaskExecutor',
};

export function canonicalExecutorSpecifier(specifier: string): string {
  return executorAliases[specifier] ?? specifier;
}

/**
 * Builds the executor a specifier names, with options. Unlike Prefect 0.11, which silently fell
 * back to LocalExecutor, an executor that cannot be loaded is an error.
 */
export async function loadExecutor(specifier: string, options: Record<string, unknown> = {}, cwd?: string): Promise<Executor> {
  const canonical = canonicalExecutorSpecifier(specifier);
  const ExecutorExport = builtinExecutors[canonical]
    ?? (await loadModuleExport(canonical, { code: 'EXECUTOR_NOT_FOUND', what: 'executor', ...(cwd === undefined ? {} : { cwd }) }));
  if (typeof ExecutorExport !== 'function') {
    throw new FlowenvError({ code: 'EXECUTOR_NOT_FOUND', message: `Executor "${specifier}" is not a class` });
  }
  const executor = new (ExecutorExport as ExecutorClass)(options);
  if (typeof executor.execute !== 'function') {
    throw new FlowenvError({ code: 'EXECUTOR_NOT_FOUND', message: `Executor "${specifier}" has no execute(plan, runtime) method` });
  }
  return executor;
}
