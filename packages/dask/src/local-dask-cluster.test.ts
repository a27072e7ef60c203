import { FlowenvError } from '@flowenv/core';
import { describe, expect, it } from 'vitest';
import { LocalDaskCluster } from './local-dask-cluster.js';

async function failureOf(promise: Promise<unknown>): Promise<FlowenvError> {
  try {
    await promise;
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a FlowenvError');
}

describe('LocalDaskCluster (no cluster started)', () => {
  it('rejects invalid options naming the field', async () => {
    const error = await failureOf(LocalDaskCluster.start({ workers: -1 }));
    expect(error.code).toBe('OPTIONS_INVALID');
    expect(error.message).toContain('LocalDaskCluster: invalid options: `workers`');
    expect((await failureOf(LocalDaskCluster.start({ host: '' }))).message).toContain('`host`');
    expect((await failureOf(LocalDaskCluster.start({ security: { caFile: 'ca.pem' } } as never))).message).toContain('`security.certFile`');
  });

  it('says how to get Python when the interpreter does not exist', async () => {
    const error = await failureOf(LocalDaskCluster.start({ python: '/nonexistent/python3', workers: 1 }));
    expect(error.code).toBe('PROVIDER_NOT_INSTALLED');
    expect(error.message).toContain('LocalDaskCluster: Python was not found at "/nonexistent/python3"');
  });
});
