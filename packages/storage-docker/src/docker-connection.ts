import { homedir } from 'node:os';
import { join } from 'node:path';
import { FlowenvError } from '@flowenv/core';
import type { DockerConnectionOptions } from './docker-storage-options.js';

export const defaultDockerHost = 'unix:///var/run/docker.sock';

export interface DockerConnection {
  /** What to pass to dockerode. */
  options: DockerConnectionOptions;
  /** Where the engine is and where that came from, for error messages. */
  description: string;
  /** With `tcp://` + DOCKER_TLS_VERIFY: the folder of ca.pem, cert.pem and key.pem to read. */
  certificatesPath?: string;
}

/**
 * Resolves which engine to talk to: explicit dockerode options, else the `dockerHost` option, else
 * DOCKER_HOST, else the default socket. Pure: `environment` is the process's variables.
 */
export function resolveDockerConnection(
  settings: { dockerHost?: string | undefined; dockerOptions?: DockerConnectionOptions | undefined },
  environment: Readonly<Record<string, string | undefined>>,
): DockerConnection {
  if (settings.dockerOptions) {
    const { socketPath, host, port, protocol } = settings.dockerOptions;
    const where = socketPath ? `unix://${socketPath}` : `${protocol ?? 'http'}://${host ?? 'localhost'}${port === undefined ? '' : `:${port}`}`;
    return { options: { ...settings.dockerOptions }, description: `${where} (from the dockerOptions option)` };
  }
  const fromOption = settings.dockerHost;
  const fromEnvironment = environment['DOCKER_HOST'] || undefined;
  const dockerHost = fromOption ?? fromEnvironment ?? defaultDockerHost;
  const origin = fromOption !== undefined
    ? 'from the dockerHost option'
    : fromEnvironment !== undefined
      ? 'from DOCKER_HOST'
      : 'the default; set DOCKER_HOST or pass dockerHost';
  const description = `${dockerHost} (${origin})`;

  const url = parseHost(dockerHost, description);
  switch (url.protocol) {
    case 'unix:':
      return { options: { socketPath: decodeURIComponent(url.pathname) }, description };
    case 'npipe:':
      return { options: { socketPath: dockerHost.slice('npipe://'.length).replace(/\//g, '\\') }, description };
    case 'ssh:':
      return {
        options: { protocol: 'ssh', host: url.hostname, port: url.port || 22, ...(url.username ? { username: decodeURIComponent(url.username) } : {}) },
        description,
      };
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const tlsVerify = environment['DOCKER_TLS_VERIFY'];
      const tls = url.protocol === 'https:' || (url.protocol === 'tcp:' && tlsVerify !== undefined && tlsVerify !== '' && tlsVerify !== '0');
      const port = url.port || (tls ? '2376' : '2375');
      const connection: DockerConnection = { options: { protocol: tls ? 'https' : 'http', host: url.hostname, port }, description };
      if (tls && url.protocol === 'tcp:') connection.certificatesPath = environment['DOCKER_CERT_PATH'] || join(homedir(), '.docker');
      return connection;
    }
    default:
      throw invalidHost(description, `unsupported scheme ${url.protocol}`);
  }
}

function parseHost(dockerHost: string, description: string): URL {
  try {
    return new URL(dockerHost);
  } catch {
    throw invalidHost(description, 'not a URL');
  }
}

function invalidHost(description: string, reason: string): FlowenvError {
  return new FlowenvError({
    code: 'OPTIONS_INVALID',
    message: `DockerStorage: cannot use Docker host ${description}: ${reason}; expected unix:///path, tcp://host:port, ssh://user@host or npipe:////./pipe/name`,
  });
}
