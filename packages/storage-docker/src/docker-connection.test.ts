import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDockerConnection } from './docker-connection.js';

describe('resolveDockerConnection', () => {
  it('defaults to the local socket and says how to change it', () => {
    expect(resolveDockerConnection({}, {})).toEqual({
      options: { socketPath: '/var/run/docker.sock' },
      description: 'unix:///var/run/docker.sock (the default; set DOCKER_HOST or pass dockerHost)',
    });
  });

  it('reads DOCKER_HOST, and the dockerHost option wins over it', () => {
    expect(resolveDockerConnection({}, { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toEqual({
      options: { socketPath: '/run/user/1000/docker.sock' },
      description: 'unix:///run/user/1000/docker.sock (from DOCKER_HOST)',
    });
    expect(resolveDockerConnection({ dockerHost: 'tcp://10.0.0.5:2375' }, { DOCKER_HOST: 'unix:///x.sock' })).toEqual({
      options: { protocol: 'http', host: '10.0.0.5', port: '2375' },
      description: 'tcp://10.0.0.5:2375 (from the dockerHost option)',
    });
  });

  it('uses TLS for tcp:// when DOCKER_TLS_VERIFY is set, with certificates from DOCKER_CERT_PATH', () => {
    const connection = resolveDockerConnection({}, { DOCKER_HOST: 'tcp://docker.example.com', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' });
    expect(connection.options).toEqual({ protocol: 'https', host: 'docker.example.com', port: '2376' });
    expect(connection.certificatesPath).toBe('/certs');
    expect(resolveDockerConnection({}, { DOCKER_HOST: 'tcp://h:1', DOCKER_TLS_VERIFY: '1' }).certificatesPath).toMatch(new RegExp(`${join('.docker').replace('.', '\\.')}$`));
    expect(resolveDockerConnection({}, { DOCKER_HOST: 'tcp://h:1', DOCKER_TLS_VERIFY: '0' }).options.protocol).toBe('http');
  });

  it('understands ssh:// and npipe://', () => {
    expect(resolveDockerConnection({ dockerHost: 'ssh://deploy@build-host' }, {}).options).toEqual({ protocol: 'ssh', host: 'build-host', port: 22, username: 'deploy' });
    expect(resolveDockerConnection({ dockerHost: 'npipe:////./pipe/docker_engine' }, {}).options).toEqual({ socketPath: '\\\\.\\pipe\\docker_engine' });
  });

  it('passes explicit dockerode options through', () => {
    expect(resolveDockerConnection({ dockerOptions: { socketPath: '/x.sock', timeout: 1000 } }, { DOCKER_HOST: 'tcp://ignored:1' })).toEqual({
      options: { socketPath: '/x.sock', timeout: 1000 },
      description: 'unix:///x.sock (from the dockerOptions option)',
    });
  });

  it('rejects what it cannot use, naming where it came from', () => {
    expect(() => resolveDockerConnection({}, { DOCKER_HOST: 'fd://3' })).toThrow('cannot use Docker host fd://3 (from DOCKER_HOST): unsupported scheme fd:');
    expect(() => resolveDockerConnection({ dockerHost: 'not a url' }, {})).toThrow(/not a URL/);
  });
});
