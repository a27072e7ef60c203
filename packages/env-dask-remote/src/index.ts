// The public API of @flowenv/env-dask-remote. Explicit named exports only; types with `export type`.
export { DASK_EXECUTOR, RemoteDaskEnvironment } from './remote-dask-environment.js';
export type { RemoteDaskEnvironmentOptions } from './remote-dask-environment.js';
