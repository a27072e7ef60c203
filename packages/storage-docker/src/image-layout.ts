import { FLOW_EXECUTE_COMMAND } from '@flowenv/core';

/**
 * Where things live in every image DockerStorage builds. Flows stay where Prefect 0.11 put them
 * (`/opt/prefect/flows`), so PREFECT__CONTEXT__FLOW_FILE_PATH values look as they did; flowenv's own
 * runtime (the bundled `flowenv` command and the health check) lives in `/opt/flowenv`.
 */
export const runtimeDirectory = '/opt/flowenv';

/**
 * The label on every image DockerStorage builds (and on its intermediate layers and health-check
 * containers), for finding and cleaning them up: `docker image prune --filter label=org.flowenv.storage`.
 */
export const imageLabel = 'org.flowenv.storage';

/** Default directory of the flow bundles inside the image (option `flowsDirectory`). */
export const defaultFlowsDirectory = '/opt/prefect/flows';

/** The bundled `flowenv` command inside the image: `@flowenv/cli` and everything it imports, in one file. */
export const flowenvEntryPath = `${runtimeDirectory}/flowenv.mjs`;

/**
 * @flowenv/dask's worker-side files (its Python halves and its bundled Node task host), in images
 * of flows that run tasks on Dask workers; FLOWENV_DASK_RUNTIME_DIR points @flowenv/dask at them.
 */
export const daskRuntimeDirectory = `${runtimeDirectory}/dask`;

/** The health check the build runs inside the image (0.11's `healthcheck.py`). */
export const healthCheckPath = `${runtimeDirectory}/healthcheck.mjs`;

/** The health check's input: each flow's location and the packages bundled into it. */
export const healthCheckPlanPath = `${runtimeDirectory}/healthcheck.json`;

/**
 * The `flowenv` command on the image's PATH: a small script that starts {@link flowenvEntryPath}
 * (with source maps on). Its `#!/usr/bin/env node` line needs `/usr/bin/env` in the base image; the
 * health check fails the build when it is missing.
 */
export const flowenvCommandPath = '/usr/local/bin/flowenv';

/**
 * The `flowenv execute` of an image built by DockerStorage, core's FLOW_EXECUTE_COMMAND: the
 * container command of every containerized environment (Kubernetes Job, Fargate task, Dask
 * scheduler). It loads the flow at PREFECT__CONTEXT__FLOW_FILE_PATH and calls its environment's
 * runFlow(); exit code 0 when the flow succeeded. It is also the image's default CMD.
 */
export const flowExecuteCommand: readonly string[] = FLOW_EXECUTE_COMMAND;

/** The same, without the PATH script: `node` and the bundle's path (for images without /usr/bin/env). */
export const flowExecuteNodeCommand: readonly string[] = Object.freeze(['node', '--enable-source-maps', flowenvEntryPath, 'execute']);

/** The text of {@link flowenvCommandPath}: CommonJS (no extension, no package.json), importing the ESM bundle. */
export const flowenvCommandScript = `#!/usr/bin/env node
// The \`flowenv\` command of images built by @flowenv/storage-docker: the bundled CLI in ${runtimeDirectory}.
process.setSourceMapsEnabled(true);
import(${JSON.stringify(flowenvEntryPath)});
`;

/**
 * The base image when none is given: the official Node.js image of the Node major flowenv
 * supports. Any image with `node` (>= 20.19) on its PATH works; nothing else is needed.
 */
export const defaultBaseImage = 'node:20-slim';
