export { LocalEnvironment } from './local-environment.js';
