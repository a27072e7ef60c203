export { RemoteEnvironment } from './remote-environment.js';
export type { RemoteEnvironmentOptions } from './remote-environment.js';
