import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EMBEDDED_SCHEDULER_JOB_YAML, EMBEDDED_WORKER_POD_YAML } from './embedded-manifests.js';
import { DEFAULT_SPEC_FILES } from './load-dask-spec.js';

describe('embedded manifests', () => {
  it('are exactly the shipped YAML files (run scripts/embed-manifests.mjs after changing them)', () => {
    expect(EMBEDDED_SCHEDULER_JOB_YAML).toBe(readFileSync(DEFAULT_SPEC_FILES.scheduler, 'utf8'));
    expect(EMBEDDED_WORKER_POD_YAML).toBe(readFileSync(DEFAULT_SPEC_FILES.worker, 'utf8'));
  });
});
