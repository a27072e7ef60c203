import { FlowenvError, loadConfig, type Config } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { resolveDaskExecutorOptions, type DaskCluster } from './dask-executor-options.js';

const emptyConfig = (): Config => loadConfig({ env: {}, userConfigPath: null });
const security = { caFile: '/tls/ca.pem', certFile: '/tls/node.pem', keyFile: '/tls/node.key' };

function optionsError(options: unknown, config: Config = emptyConfig()): FlowenvError {
  try {
    resolveDaskExecutorOptions(options, config);
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected OPTIONS_INVALID');
}

describe('resolveDaskExecutorOptions', () => {
  it('applies the documented defaults', () => {
    const resolved = resolveDaskExecutorOptions({}, emptyConfig());
    expect(resolved).toMatchObject({
      address: undefined,
      cluster: undefined,
      security: undefined,
      connectTimeoutMs: 10_000,
      python: 'python3',
      debug: false,
      adapt: undefined,
      workerNode: 'node',
      hostIdleTimeoutMs: 60_000,
    });
    expect(resolved.taskHostScript).toMatch(/packages\/dask\/dist\/task-host\.js$/);
  });

  it('reads address, python and debug from PREFECT__ variables through the config', () => {
    const config = loadConfig({
      env: {
        PREFECT__ENGINE__EXECUTOR__DASK__ADDRESS: 'tcp://scheduler:8786',
        PREFECT__ENGINE__EXECUTOR__DASK__PYTHON: '/opt/venv/bin/python',
        PREFECT__DEBUG: 'true',
      },
      userConfigPath: null,
    });
    expect(resolveDaskExecutorOptions({}, config)).toMatchObject({ address: 'tcp://scheduler:8786', python: '/opt/venv/bin/python', debug: true });
    // Explicit options win over the config.
    expect(resolveDaskExecutorOptions({ address: 'tcp://other:1', python: 'python3.11', debug: false }, config))
      .toMatchObject({ address: 'tcp://other:1', python: 'python3.11', debug: false });
  });

  it('keeps TLS settings, with requireEncryption on by default', () => {
    const resolved = resolveDaskExecutorOptions({ address: 'tls://scheduler:8786', security }, emptyConfig());
    expect(resolved.security).toEqual({ ...security, requireEncryption: true });
    const relaxed = resolveDaskExecutorOptions({ address: 'tls://scheduler:8786', security: { ...security, requireEncryption: false } }, emptyConfig());
    expect(relaxed.security?.requireEncryption).toBe(false);
  });

  it('refuses TLS material with a tcp:// (or scheme-less) address, saying to use tls://', () => {
    for (const address of ['tcp://scheduler:8786', 'scheduler:8786']) {
      const error = optionsError({ address, security });
      expect(error.code).toBe('OPTIONS_INVALID');
      expect(error.message).toContain('`security`');
      expect(error.message).toContain('tls://scheduler:8786');
    }
  });

  it('refuses TLS material with a tcp:// address that comes from the config', () => {
    const config = loadConfig({ env: { PREFECT__ENGINE__EXECUTOR__DASK__ADDRESS: 'tcp://scheduler:8786' }, userConfigPath: null });
    const error = optionsError({ security }, config);
    expect(error.message).toContain('PREFECT__ENGINE__EXECUTOR__DASK__ADDRESS');
  });

  it('takes a cluster object as it is and its adapt bounds', () => {
    const cluster: DaskCluster & { adapt: (minimum: number, maximum: number) => void } = {
      address: 'tcp://127.0.0.1:1234',
      adapt: () => {},
    };
    const resolved = resolveDaskExecutorOptions({ cluster, adaptMinimum: 1, adaptMaximum: 4 }, emptyConfig());
    expect(resolved.cluster).toBe(cluster);
    expect(resolved.address).toBeUndefined();
    expect(resolved.adapt).toEqual({ minimum: 1, maximum: 4 });
    // A cluster wins over the config's address.
    const config = loadConfig({ env: { PREFECT__ENGINE__EXECUTOR__DASK__ADDRESS: 'tcp://scheduler:8786' }, userConfigPath: null });
    expect(resolveDaskExecutorOptions({ cluster }, config).address).toBeUndefined();
  });

  it.each([
    [{ address: 42 }, '`address`'],
    [{ address: '' }, '`address`'],
    [{ connectTimeoutMs: 0 }, '`connectTimeoutMs`'],
    [{ connectTimeoutMs: 1.5 }, '`connectTimeoutMs`'],
    [{ python: '' }, '`python`'],
    [{ debug: 'yes' }, '`debug`'],
    [{ security: { caFile: 'ca.pem' } }, '`security.certFile`'],
    [{ cluster: { host: 'x' } }, '`cluster`'],
    [{ address: 'tcp://a:1', cluster: { address: 'tcp://b:2' } }, '`cluster`: pass either `address` or `cluster`'],
    [{ adaptMinimum: 1 }, '`adaptMinimum`: adaptMinimum/adaptMaximum need `cluster`'],
    [{ cluster: { address: 'tcp://b:2' }, adaptMaximum: 3 }, 'has no adapt(minimum, maximum) method'],
    [{ cluster: { address: 'tcp://b:2', adapt: () => {} }, adaptMinimum: 3, adaptMaximum: 2 }, '`adaptMaximum`: must be >= adaptMinimum (3)'],
    [{ hostIdleTimeoutMs: -1 }, '`hostIdleTimeoutMs`'],
    [{ local_processes: true }, 'local_processes'],
  ])('rejects %j with OPTIONS_INVALID naming %s', (options, expected) => {
    const error = optionsError(options);
    expect(error.code).toBe('OPTIONS_INVALID');
    expect(error.message).toContain('DaskExecutor: invalid options');
    expect(error.message).toContain(expected);
  });
});
