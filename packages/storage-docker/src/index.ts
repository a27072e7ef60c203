// The public API of @flowenv/storage-docker. Explicit named exports only; types with `export type`.

export { DockerStorage } from './docker-storage.js';
export type { DockerBuildOptions, DockerBuildResult } from './docker-storage.js';
export type { ContextEntry } from './build-context.js';
export type { DockerConnectionOptions, DockerStorageOptions, ProgressMode } from './docker-storage-options.js';
export {
  defaultBaseImage,
  defaultFlowsDirectory,
  flowenvCommandPath,
  flowenvEntryPath,
  flowExecuteCommand,
  flowExecuteNodeCommand,
  healthCheckPath,
  imageLabel,
  runtimeDirectory,
} from './image-layout.js';
export { buildDockerfile } from './build-dockerfile.js';
export type { DockerfileInput } from './build-dockerfile.js';
export { flowLocation, flowSlug } from './flow-slug.js';
export { defaultImageTag, fullImageName } from './image-name.js';
export type { ImageReference } from './image-name.js';
