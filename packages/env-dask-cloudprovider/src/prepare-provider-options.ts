import { describeError, FlowenvError } from '@flowenv/core';
import { cloneJson } from './clone-json.js';
import type { OnExecuteHook } from './environment-options.js';

export interface ProviderOptionsInput {
  /** The environment's provider options (never changed). */
  base: Readonly<Record<string, unknown>>;
  onExecute: OnExecuteHook | undefined;
  parameters: Record<string, unknown>;
  /** The storage's image (or PREFECT__CONTEXT__IMAGE), used when the options name none. */
  image: string | undefined;
}

/**
 * The provider options of one run (spec 4.2 steps 2-3): a copy of the environment's, changed or
 * replaced by `onExecute(parameters, options)`, with `image` defaulting to the storage's. An error
 * of `onExecute` fails the run with ON_EXECUTE_FAILED (0.11 logged it and went on).
 */
export async function prepareProviderOptions(input: ProviderOptionsInput): Promise<Record<string, unknown>> {
  let options = cloneJson({ ...input.base });
  if (input.onExecute !== undefined) {
    try {
      const returned = await input.onExecute(cloneJson(input.parameters), options);
      if (returned !== undefined) {
        if (typeof returned !== 'object' || returned === null || Array.isArray(returned)) {
          throw new Error(`it returned ${Array.isArray(returned) ? 'an array' : typeof returned}; return nothing, or an object of provider options`);
        }
        options = returned;
      }
    } catch (error) {
      throw new FlowenvError({
        code: 'ON_EXECUTE_FAILED',
        message: `onExecute failed, so no Dask cluster was created: ${describeError(error)}`,
        cause: error,
      });
    }
  }
  if ((options['image'] === undefined || options['image'] === null || options['image'] === '') && input.image !== undefined) {
    options['image'] = input.image;
  }
  return options;
}
