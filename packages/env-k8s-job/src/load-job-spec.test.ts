import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlowenvError } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_SPEC, loadJobSpec, validateJobSpec } from './load-job-spec.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));

function errorOf(action: () => unknown): FlowenvError {
  try {
    action();
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a FlowenvError');
}

describe('loadJobSpec', () => {
  it('reads, parses and freezes the spec, with the path made absolute', () => {
    const absolute = fixture('prefect-0.11-job.yaml');
    const { path, spec } = loadJobSpec(relative(process.cwd(), absolute));
    expect(path).toBe(absolute);
    expect(spec.metadata?.name).toBe('prefect-dask-job');
    expect(spec.spec?.template.spec?.containers[0]?.resources?.limits).toEqual({ cpu: '100m' });
    expect(Object.isFrozen(spec.spec?.template.spec?.containers[0])).toBe(true);
  });

  it('resolves a relative path against the given folder', () => {
    const { path } = loadJobSpec('prefect-0.11-job.yaml', fixture(''));
    expect(path).toBe(fixture('prefect-0.11-job.yaml'));
  });

  it('keeps fields it does not know, as written', () => {
    const { spec } = loadJobSpec(fixture('with-sidecar-job.yaml'));
    expect((spec.spec as unknown as Record<string, unknown>)['futureJobField']).toBe('kept');
  });

  it('names a missing file', () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'flowenv-spec-')), 'job.yaml');
    const error = errorOf(() => loadJobSpec(missing));
    expect(error.code).toBe('OPTIONS_INVALID');
    expect(error.message).toContain(`cannot read \`jobSpecFile\` ${missing}`);
    expect(error.message).toContain('ENOENT');
  });

  it('quotes the YAML error with the path', () => {
    const error = errorOf(() => loadJobSpec(fixture('invalid-yaml.yaml')));
    expect(error.code).toBe('OPTIONS_INVALID');
    expect(error.message).toMatch(new RegExp(`\`jobSpecFile\` ${fixture('invalid-yaml.yaml').replace(/[.]/g, '\\.')} is not valid YAML: .*at line \\d+, column \\d+`, 's'));
  });

  it('rejects a file holding text instead of a Job (0.11 parsed "job" to a string and failed at run time)', () => {
    const error = errorOf(() => loadJobSpec(fixture('not-a-job.yaml')));
    expect(error.message).toBe(`KubernetesJobEnvironment: \`jobSpecFile\` ${fixture('not-a-job.yaml')} holds "job", not a Kubernetes Job manifest: options: Invalid input: expected object, received string`);
  });

  it('names every wrong field with its path', () => {
    const error = errorOf(() => loadJobSpec(fixture('wrong-shape-job.yaml')));
    expect(error.code).toBe('OPTIONS_INVALID');
    for (const part of [
      '`apiVersion`: expected "batch/v1"',
      '`kind`: expected "Job"',
      '`metadata.name`: expected a lower-case DNS name',
      '`metadata.labels.flow_run_id`: expected a string (quote numbers and booleans in YAML)',
      '`spec.template.spec.containers`: a Job needs at least one container',
      '`spec.template.spec.restartPolicy`: a Job\'s pods restart "Never" or "OnFailure"',
    ]) {
      expect(error.message).toContain(part);
    }
  });

  it('accepts a minimal Job and rejects one without spec', () => {
    const directory = mkdtempSync(join(tmpdir(), 'flowenv-spec-'));
    writeFileSync(join(directory, 'minimal.yaml'), 'apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n        - {}\n');
    expect(loadJobSpec(join(directory, 'minimal.yaml')).spec.spec?.template.spec?.containers).toEqual([{}]);
    const error = errorOf(() => validateJobSpec({ apiVersion: 'batch/v1', kind: 'Job' }, 'inline'));
    expect(error.message).toContain('`spec`: Invalid input: expected object, received undefined');
  });

  it('has a frozen default Job with one container named flow', () => {
    expect(DEFAULT_JOB_SPEC.metadata?.name).toBe('prefect-job');
    expect(DEFAULT_JOB_SPEC.spec?.template.spec?.containers).toEqual([{ name: 'flow' }]);
    expect(Object.isFrozen(DEFAULT_JOB_SPEC.spec?.template.spec?.containers)).toBe(true);
  });
});
