import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { FlowenvError } from '@flowenv/core';
import type { DockerConnection } from './docker-connection.js';

/**
 * A dockerode client for the resolved connection. dockerode is imported here, on first use, so a
 * flow module that constructs a DockerStorage (and is bundled into the image) never loads it.
 */
export async function createDockerClient(connection: DockerConnection): Promise<Docker> {
  const { default: DockerClient } = await import('dockerode');
  const options: Docker.DockerOptions = { ...(connection.options as Docker.DockerOptions) };
  if (connection.certificatesPath !== undefined) {
    const read = (file: string) =>
      readFile(join(connection.certificatesPath as string, file)).catch((error: unknown) => {
        throw new FlowenvError({
          code: 'OPTIONS_INVALID',
          message: `DockerStorage: DOCKER_TLS_VERIFY is set but ${join(connection.certificatesPath as string, file)} cannot be read; set DOCKER_CERT_PATH to the folder of ca.pem, cert.pem and key.pem`,
          cause: error,
        });
      });
    [options.ca, options.cert, options.key] = await Promise.all([read('ca.pem'), read('cert.pem'), read('key.pem')]);
  }
  return new DockerClient(options);
}
