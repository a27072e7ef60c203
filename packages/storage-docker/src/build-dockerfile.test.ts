import { describe, expect, it } from 'vitest';
import { buildDockerfile, quoteEnvValue } from './build-dockerfile.js';

describe('buildDockerfile', () => {
  it('writes the minimal image: base, runtime, flows, health check, flowenv execute', async () => {
    const dockerfile = buildDockerfile({ baseImage: 'node:20-slim', env: {}, files: [], flowsDirectory: '/opt/prefect/flows', hasFlows: true });
    await expect(dockerfile).toMatchFileSnapshot('./__golden__/minimal.Dockerfile');
  });

  it('writes env, extra files and a custom flows directory', async () => {
    const dockerfile = buildDockerfile({
      baseImage: '127.0.0.1:5000/base/node:20',
      env: { GREETING: 'hello "world"', PRICE: '$5 \\ item', EMPTY: '' },
      files: [
        { contextPath: 'files/0/settings.json', destination: '/etc/app/settings.json' },
        { contextPath: 'files/1/', destination: '/srv/data dir/' },
      ],
      flowsDirectory: '/srv/flows/',
      hasFlows: true,
    });
    await expect(dockerfile).toMatchFileSnapshot('./__golden__/full.Dockerfile');
  });

  it('points @flowenv/dask at its worker files before the user env', async () => {
    const dockerfile = buildDockerfile({
      baseImage: '127.0.0.1:5000/flowenv/dask-base:1',
      runtimeEnv: { FLOWENV_DASK_RUNTIME_DIR: '/opt/flowenv/dask' },
      env: { GREETING: 'hello' },
      files: [],
      flowsDirectory: '/opt/prefect/flows',
      hasFlows: true,
    });
    await expect(dockerfile).toMatchFileSnapshot('./__golden__/dask.Dockerfile');
  });

  it('copies no flows folder when there is no flow', () => {
    const dockerfile = buildDockerfile({ baseImage: 'node:20-slim', env: {}, files: [], flowsDirectory: '/opt/prefect/flows', hasFlows: false });
    expect(dockerfile).not.toContain('flows/');
    expect(dockerfile).toContain('RUN ["node", "/opt/flowenv/healthcheck.mjs"]');
  });
});

describe('quoteEnvValue', () => {
  it('keeps quotes, backslashes and dollars literal', () => {
    expect(quoteEnvValue('a "b" $HOME \\n')).toBe('"a \\"b\\" \\$HOME \\\\n"');
  });
});
