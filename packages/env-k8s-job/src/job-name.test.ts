import { describe, expect, it } from 'vitest';
import { jobNameFields } from './job-name.js';
import { toLabelValue } from './label-value.js';

describe('jobNameFields', () => {
  const identifier = 'abcdef12-3456-4789-8abc-def012345678';

  it('appends 8 characters of the identifier (0.11: of a fresh UUID) when unique', () => {
    expect(jobNameFields({ name: 'prefect-dask-job' }, true, identifier)).toEqual({ name: 'prefect-dask-job-abcdef12' });
    expect(jobNameFields({ name: 'prefect-dask-job' }, false, identifier)).toEqual({ name: 'prefect-dask-job' });
  });

  it('names a Job without a name, and keeps generateName', () => {
    expect(jobNameFields(undefined, true, identifier)).toEqual({ name: 'prefect-job-abcdef12' });
    expect(jobNameFields({ generateName: 'etl-' }, true, identifier)).toEqual({ generateName: 'etl-' });
    expect(jobNameFields({ name: 'fixed', generateName: 'etl-' }, false, identifier)).toEqual({ name: 'fixed' });
  });
});

describe('toLabelValue', () => {
  it('keeps valid values and repairs others', () => {
    expect(toLabelValue('0a1b2c3d-0000-4000-8000-000000000000')).toBe('0a1b2c3d-0000-4000-8000-000000000000');
    expect(toLabelValue('unknown')).toBe('unknown');
    expect(toLabelValue('-run:1-')).toBe('run_1');
    expect(toLabelValue('x'.repeat(70))).toHaveLength(63);
    expect(toLabelValue('')).toBe('');
  });
});
