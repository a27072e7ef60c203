import { describe, expect, it } from 'vitest';
import { pythonFailureToError } from './bridge-failure.js';

const context = { component: 'DaskExecutor', python: '/opt/py/bin/python', address: 'tcp://10.0.0.9:8786', stderr: 'line 1\nline 2' };

describe('pythonFailureToError', () => {
  it('says what to install when Python is missing', () => {
    const error = pythonFailureToError({ kind: 'spawn', error: Object.assign(new Error('spawn ENOENT'), { code: 'ENOENT' }) }, context);
    expect(error.code).toBe('PROVIDER_NOT_INSTALLED');
    expect(error.message).toContain('Python was not found at "/opt/py/bin/python"');
    expect(error.message).toContain('pip install distributed');
    expect(error.message).toContain('PREFECT__ENGINE__EXECUTOR__DASK__PYTHON');
  });

  it('says what to install when distributed is missing', () => {
    const error = pythonFailureToError({ kind: 'fatal', fatal: 'missing-module', message: "No module named 'distributed'", module: 'distributed' }, context);
    expect(error.code).toBe('PROVIDER_NOT_INSTALLED');
    expect(error.message).toContain('/opt/py/bin/python cannot import the Python package `distributed`');
    expect(error.message).toContain('/opt/py/bin/python -m pip install distributed');
    expect(error.message).toContain('apt-get install python3-distributed');
  });

  it('names the address when the scheduler cannot be reached, and marks it retryable', () => {
    for (const error of [
      pythonFailureToError({ kind: 'fatal', fatal: 'connect-failed', message: 'OSError: Timed out trying to connect' }, context),
      pythonFailureToError({ kind: 'timeout', phase: 'connecting', milliseconds: 3000 }, context),
    ]) {
      expect(error.code).toBe('EXECUTOR_FAILED');
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('tcp://10.0.0.9:8786');
      expect(error.message).toContain('connectTimeoutMs');
    }
  });

  it('explains a Python version mismatch', () => {
    const error = pythonFailureToError({ kind: 'fatal', fatal: 'version-mismatch', message: "this Python is 3.11.2, workers run {'w': '3.12.1'}" }, context);
    expect(error.message).toContain('same Python minor version');
  });

  it('reports how the process ended, with its last stderr lines', () => {
    const exited = pythonFailureToError({ kind: 'exit', exit: { code: 1, signal: null }, phase: 'running' }, context);
    expect(exited.message).toBe('DaskExecutor: the Python process (/opt/py/bin/python) exited with code 1 during the run\n--- Python stderr (last lines) ---\nline 1\nline 2');
    expect(exited.retryable).toBe(true);
    const killed = pythonFailureToError({ kind: 'exit', exit: { code: null, signal: 'SIGKILL' }, phase: 'starting' }, { ...context, stderr: '' });
    expect(killed.message).toBe('DaskExecutor: the Python process (/opt/py/bin/python) was killed by SIGKILL while starting');
    expect(pythonFailureToError({ kind: 'timeout', phase: 'starting', milliseconds: 60_000 }, context).message).toContain('did not start within 60000 ms');
  });
});
