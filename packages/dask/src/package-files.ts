import { fileURLToPath } from 'node:url';

/**
 * Files this package ships next to its JavaScript: the Python halves in `python/` and the built
 * Node task host. Paths are absolute, as the workers must see them: a worker on another machine
 * needs this package installed at the same path (the same image, in Prefect's model).
 */
export const pythonScripts = {
  bridge: fileURLToPath(new URL('../python/flowenv_dask_bridge.py', import.meta.url)),
  cluster: fileURLToPath(new URL('../python/flowenv_dask_cluster.py', import.meta.url)),
  worker: fileURLToPath(new URL('../python/flowenv_dask_worker.py', import.meta.url)),
} as const;

/** dist/task-host.js of this package (built from src/task-host.ts). */
export function defaultTaskHostScript(): string {
  return fileURLToPath(new URL('../dist/task-host.js', import.meta.url));
}
