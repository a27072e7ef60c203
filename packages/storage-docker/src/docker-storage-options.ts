import { posix } from 'node:path';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { imageNamePattern, imageTagPattern, registryUrlPattern } from './image-name.js';

/** How to reach the Docker engine when DOCKER_HOST is not enough (a subset of dockerode's options). */
export interface DockerConnectionOptions {
  socketPath?: string;
  host?: string;
  port?: number | string;
  protocol?: 'http' | 'https' | 'ssh';
  /** TLS material (PEM text) for `https`. */
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** SSH user for `ssh`. */
  username?: string;
  /** Request timeout in milliseconds (default none). */
  timeout?: number;
}

/** How build progress is shown: `compact` rewrites one line (for a terminal), `lines` prints one line per step. */
export type ProgressMode = 'auto' | 'compact' | 'lines' | 'none';

export interface DockerStorageOptions {
  /**
   * Registry to push to, without a scheme: `127.0.0.1:5000`, `registry.example.com/my-team`. Default none: the
   * image is built locally and not pushed (build({ push: true }) warns, as 0.11 did).
   */
  registryUrl?: string | null;
  /**
   * Repository name of the image (`my-flows`). Default, picked by build(): the flow's slug when the
   * storage holds one flow, else `flowenv-flows-<random>`.
   */
  imageName?: string | null;
  /** Tag of the image. Default, picked by build(): unique per build, `<yyyymmdd>-<hhmmss>-<random>` (UTC). */
  imageTag?: string | null;
  /** Image to build FROM; it must contain `node` (>= 20.19) on its PATH. Default `node:20-slim`. */
  baseImage?: string | null;
  /**
   * Must the base image already be in the engine (default `false`: never pull, a missing image is an
   * error naming it), or may build() pull it (with the registry credentials when it is on `registryUrl`)?
   */
  pullBaseImage?: boolean | null;
  /** Environment variables set in the image (`ENV`). Visible to anyone who can pull it: no secrets. Default none. */
  env?: Record<string, string> | null;
  /** Extra files or folders copied into the image: local path → absolute path in the image. Default none. */
  files?: Record<string, string> | null;
  /** Names of secrets the flows need at run time; values are fetched by name where the flow runs. Default none. */
  secrets?: readonly string[] | null;
  /** Where the flow bundles go inside the image. Default `/opt/prefect/flows` (0.11's directory). */
  flowsDirectory?: string | null;
  /**
   * The Docker engine: `unix:///var/run/docker.sock`, `tcp://host:2376`, `ssh://user@host`,
   * `npipe:////./pipe/docker_engine`. Default: DOCKER_HOST, else `unix:///var/run/docker.sock`.
   * `tcp://` uses TLS when DOCKER_TLS_VERIFY is set, with the certificates in DOCKER_CERT_PATH.
   */
  dockerHost?: string | null;
  /** Connection options passed to dockerode as they are; they win over `dockerHost`. */
  dockerOptions?: DockerConnectionOptions | null;
  /**
   * Registry user for push (and for pulling the base image from `registryUrl`). Default:
   * FLOWENV_REGISTRY_USERNAME, read when build() runs. Never written to the image, logs or serialize().
   */
  registryUsername?: string | null;
  /**
   * Registry password or token. Default: FLOWENV_REGISTRY_PASSWORD, read when build() runs. Prefer
   * the variable: a literal here would be bundled with the flow module, and build() refuses an image
   * whose files contain the password.
   */
  registryPassword?: string | null;
  /** Progress display: `auto` (default) is `compact` on a terminal, `lines` otherwise; `none` is silent. */
  progress?: ProgressMode | null;
  /** Where progress goes (default process.stderr). */
  progressOutput?: Writable | null;
  /** The Node version the bundles target (esbuild `target`). Default `node20`. */
  nodeTarget?: string | null;
}

const absoluteImagePath = z
  .string()
  .refine((value) => posix.isAbsolute(value), { message: 'expected an absolute path inside the image (starting with /)' });

const envValue = z.string().refine((value) => !/[\r\n\0]/.test(value), { message: 'must be one line (no newline or NUL)' });

export const dockerStorageOptionsSchema = z
  .object({
    registryUrl: z
      .string()
      .regex(registryUrlPattern, 'expected a registry host with an optional port and path, without a scheme (127.0.0.1:5000, registry.example.com/team)')
      .nullish(),
    imageName: z.string().regex(imageNamePattern, 'expected a lower-case Docker repository name (my-flows, team/my-flows)').nullish(),
    imageTag: z.string().regex(imageTagPattern, 'expected a Docker tag: letters, digits, _ . -, at most 128, not starting with . or -').nullish(),
    baseImage: z.string().min(1).nullish(),
    pullBaseImage: z.boolean().nullish(),
    env: z
      .record(z.string(), envValue)
      .superRefine((env, context) => {
        for (const name of Object.keys(env)) {
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) context.addIssue({ code: 'custom', path: [name], message: 'expected a variable name ([A-Za-z_][A-Za-z0-9_]*)' });
        }
      })
      .nullish(),
    files: z.record(z.string().min(1), absoluteImagePath).nullish(),
    secrets: z.array(z.string().min(1)).nullish(),
    flowsDirectory: absoluteImagePath.nullish(),
    dockerHost: z.string().min(1).nullish(),
    dockerOptions: z.object({}).loose().nullish(),
    registryUsername: z.string().min(1).nullish(),
    registryPassword: z.string().min(1).nullish(),
    progress: z.enum(['auto', 'compact', 'lines', 'none']).nullish(),
    progressOutput: z
      .custom<Writable>((value) => typeof (value as { write?: unknown } | null)?.write === 'function', { message: 'expected a writable stream' })
      .nullish(),
    nodeTarget: z.string().regex(/^node\d+(?:\.\d+){0,2}$/, 'expected an esbuild node target such as node20').nullish(),
  })
  .strict();
