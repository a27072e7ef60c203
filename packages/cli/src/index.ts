export { main } from './main.js';
export type { CommandIo } from './io.js';
export { formatRunSummary, formatTaskProgress } from './format-run.js';
export { parseParameters } from './parse-parameters.js';
