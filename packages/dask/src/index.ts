// The public API of @flowenv/dask. Explicit named exports only; types with `export type`.
export { DaskExecutor } from './dask-executor.js';
export type { DaskBridgeInfo } from './dask-bridge.js';
export type { DaskCluster, DaskExecutorOptions, ResolvedDaskExecutorOptions } from './dask-executor-options.js';
export { LocalDaskCluster } from './local-dask-cluster.js';
export type { LocalDaskClusterOptions, LocalDaskWorker } from './local-dask-cluster.js';
export type { DaskSecurity } from './dask-security.js';
export { daskSecuritySchema, securityAddressProblem } from './dask-security.js';
export { daskRuntimeDirectoryVariable, daskRuntimeFiles, daskTaskHostFileName } from './package-files.js';
export type { DaskRuntimeFiles } from './package-files.js';
