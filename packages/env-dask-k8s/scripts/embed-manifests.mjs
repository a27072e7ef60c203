// Regenerates src/embedded-manifests.ts from manifests/*.yaml (see that file for why).
import { readFileSync, writeFileSync } from 'node:fs';

const read = (name) => readFileSync(new URL(`../manifests/${name}`, import.meta.url), 'utf8');
const target = new URL('../src/embedded-manifests.ts', import.meta.url);
const header = readFileSync(target, 'utf8').split('\n/** manifests/scheduler-job.yaml */')[0];
writeFileSync(target, `${header}
/** manifests/scheduler-job.yaml */
export const EMBEDDED_SCHEDULER_JOB_YAML: string = ${JSON.stringify(read('scheduler-job.yaml'))};

/** manifests/worker-pod.yaml */
export const EMBEDDED_WORKER_POD_YAML: string = ${JSON.stringify(read('worker-pod.yaml'))};
`);
