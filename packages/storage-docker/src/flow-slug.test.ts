import { describe, expect, it } from 'vitest';
import { flowLocation, flowSlug } from './flow-slug.js';

describe('flowSlug', () => {
  it('cleans a weird name as 0.11 did (test_add_flow_with_weird_name_is_cleaned)', () => {
    const slug = flowSlug('WELL what do you know?!~? looks like a test!!!!');
    expect(slug).toBe('well-what-do-you-know-looks-like-a-test');
    for (const character of ['?', '!', '~', ' ']) expect(slug).not.toContain(character);
  });

  it('drops accents and keeps digits', () => {
    expect(flowSlug('Crème brûlée 2 ETL')).toBe('creme-brulee-2-etl');
  });

  it('gives a stable hashed slug to a name with no letter or digit', () => {
    expect(flowSlug('?!~')).toMatch(/^flow-[0-9a-f]{8}$/);
    expect(flowSlug('?!~')).toBe(flowSlug('?!~'));
    expect(flowSlug('???')).not.toBe(flowSlug('?!~'));
  });
});

describe('flowLocation', () => {
  it('is <flowsDirectory>/<slug>.mjs', () => {
    expect(flowLocation('/opt/prefect/flows', 'My Flow!')).toBe('/opt/prefect/flows/my-flow.mjs');
    expect(flowLocation('/srv/flows/', 'etl')).toBe('/srv/flows/etl.mjs');
  });
});
