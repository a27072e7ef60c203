import { describe, expect, it } from 'vitest';
import { prepareProviderOptions } from './prepare-provider-options.js';

describe('prepareProviderOptions', () => {
  it('gives onExecute copies: neither the environment\'s options nor the parameters change', async () => {
    const base = Object.freeze({ nWorkers: 1, subnets: ['a'] });
    const parameters = { rows: [1, 2] };
    const options = await prepareProviderOptions({
      base,
      parameters,
      image: undefined,
      onExecute: (given, providerOptions) => {
        (given['rows'] as number[]).push(3);
        (providerOptions['subnets'] as string[]).push('b');
        providerOptions['nWorkers'] = 3;
      },
    });
    expect(options).toEqual({ nWorkers: 3, subnets: ['a', 'b'] });
    expect(base).toEqual({ nWorkers: 1, subnets: ['a'] });
    expect(parameters).toEqual({ rows: [1, 2] });
  });

  it('refuses a return value that is not an object', async () => {
    await expect(prepareProviderOptions({ base: {}, parameters: {}, image: undefined, onExecute: () => 3 as never })).rejects.toThrow('onExecute failed, so no Dask cluster was created: Error: it returned number');
  });

  it('fills in the image only when none is named', async () => {
    expect(await prepareProviderOptions({ base: { image: '' }, parameters: {}, image: 'storage:1', onExecute: undefined })).toEqual({ image: 'storage:1' });
    expect(await prepareProviderOptions({ base: { image: 'mine:2' }, parameters: {}, image: 'storage:1', onExecute: undefined })).toEqual({ image: 'mine:2' });
  });
});
