import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SPEC_FILES, defaultSchedulerSpec, defaultWorkerSpec, loadDaskSpec, validateDaskSpec } from './load-dask-spec.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));

describe('loadDaskSpec', () => {
  it('ships the packaged manifests, read once and frozen', () => {
    expect(DEFAULT_SPEC_FILES.scheduler).toMatch(/manifests\/scheduler-job\.yaml$/);
    expect(defaultSchedulerSpec()).toBe(defaultSchedulerSpec());
    expect(Object.isFrozen(defaultSchedulerSpec())).toBe(true);
    expect(defaultSchedulerSpec().spec?.template.spec?.containers[0]?.env).toHaveLength(16);
    expect(defaultWorkerSpec().spec?.containers[0]?.env).toHaveLength(12);
    expect(defaultWorkerSpec().spec?.containers[0]?.args).toContain('--death-timeout');
  });

  it('rejects invalid YAML, wrong kinds and missing containers, naming the option and the file', () => {
    expect(() => loadDaskSpec('scheduler', fixture('invalid-yaml.yaml'))).toThrow(/schedulerSpecFile.*invalid-yaml\.yaml is not valid YAML/);
    expect(() => loadDaskSpec('worker', fixture('not-a-job.yaml'))).toThrow(/workerSpecFile.*not a Kubernetes Pod/);
    expect(() => validateDaskSpec('scheduler', { apiVersion: 'batch/v1', kind: 'Job', spec: { template: { spec: { containers: [] } } } }, 'inline')).toThrow('at least one container');
  });

  it('keeps the cause of an absent file (ENOENT), so the environment can report it later', () => {
    try {
      loadDaskSpec('worker', '/nowhere/worker.yaml');
      expect.unreachable();
    } catch (error) {
      expect((error as { cause?: { code?: string } }).cause?.code).toBe('ENOENT');
    }
  });
});
