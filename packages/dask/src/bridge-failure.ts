import { FlowenvError } from '@flowenv/core';
import type { FatalKind } from './bridge-protocol.js';
import type { ProcessExit } from './json-line-process.js';

/** Why a Python child (bridge or cluster manager) could not do its job. */
export type PythonFailure =
  | { kind: 'spawn'; error: NodeJS.ErrnoException }
  | { kind: 'fatal'; fatal: FatalKind; message: string; module?: string }
  | { kind: 'exit'; exit: ProcessExit; phase: 'starting' | 'connecting' | 'running' }
  | { kind: 'timeout'; phase: 'starting' | 'connecting'; milliseconds: number };

export interface FailureContext {
  /** "DaskExecutor" or "LocalDaskCluster": the start of every message. */
  component: string;
  python: string;
  /** The scheduler address, when there is one. */
  address?: string;
  /** The last lines the child wrote on stderr. */
  stderr?: string;
}

const installHint = (python: string): string =>
  `Install it for that interpreter (${python} -m pip install distributed, with the version your cluster runs; ` +
  'on Debian/Ubuntu: apt-get install python3-distributed), or point `python` / PREFECT__ENGINE__EXECUTOR__DASK__PYTHON at a Python that has it';

/** Maps a failure of the Python side to a FlowenvError whose message says what to do. */
export function pythonFailureToError(failure: PythonFailure, context: FailureContext): FlowenvError {
  const { component, python, address } = context;
  const stderr = context.stderr?.trim() ? `\n--- Python stderr (last lines) ---\n${context.stderr.trim()}` : '';
  switch (failure.kind) {
    case 'spawn':
      return new FlowenvError({
        code: 'PROVIDER_NOT_INSTALLED',
        message: failure.error.code === 'ENOENT'
          ? `${component}: Python was not found at "${python}". Install Python 3 with the Dask \`distributed\` package ` +
            '(pip install distributed, or apt-get install python3-distributed), or pass `python` / set ' +
            'PREFECT__ENGINE__EXECUTOR__DASK__PYTHON to an interpreter that has it'
          : `${component}: could not start Python "${python}": ${failure.error.message}`,
        cause: failure.error,
      });
    case 'fatal':
      switch (failure.fatal) {
        case 'missing-module':
          return new FlowenvError({
            code: 'PROVIDER_NOT_INSTALLED',
            message: `${component}: ${python} cannot import the Python package \`${failure.module ?? 'distributed'}\` (${failure.message}). ${installHint(python)}`,
          });
        case 'connect-failed':
          return new FlowenvError({
            code: 'EXECUTOR_FAILED',
            retryable: true,
            message: `${component}: could not connect to the Dask scheduler at ${address ?? '?'}: ${failure.message}. ` +
              'Check that the scheduler is running and reachable from here and that the address is right ' +
              '(tls:// needs `security`), or raise connectTimeoutMs',
          });
        case 'version-mismatch':
          return new FlowenvError({
            code: 'EXECUTOR_FAILED',
            message: `${component}: Python versions differ between ${python} and the Dask workers (${failure.message}). ` +
              'Task code is shipped to the workers as bytecode, which needs the same Python minor version: point `python` at a matching interpreter',
          });
        default:
          return new FlowenvError({
            code: 'EXECUTOR_FAILED',
            message: `${component}: the Python side failed (${failure.fatal}): ${failure.message}${stderr}`,
          });
      }
    case 'exit': {
      const { code, signal } = failure.exit;
      const how = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
      const when = failure.phase === 'running' ? 'during the run' : `while ${failure.phase}`;
      return new FlowenvError({
        code: 'EXECUTOR_FAILED',
        retryable: failure.phase === 'running',
        message: `${component}: the Python process (${python}) ${how} ${when}${stderr}`,
      });
    }
    case 'timeout':
      return failure.phase === 'connecting'
        ? new FlowenvError({
          code: 'EXECUTOR_FAILED',
          retryable: true,
          message: `${component}: could not connect to the Dask scheduler at ${address ?? '?'} within ${failure.milliseconds} ms. ` +
            'Check that the scheduler is running and reachable from here and that the address is right, or raise connectTimeoutMs',
        })
        : new FlowenvError({
          code: 'EXECUTOR_FAILED',
          message: `${component}: ${python} did not start within ${failure.milliseconds} ms${stderr}`,
        });
  }
}
