export { describeEnvironmentConformance } from './describe-environment-conformance.js';
export type { EnvironmentConformanceOptions } from './describe-environment-conformance.js';
