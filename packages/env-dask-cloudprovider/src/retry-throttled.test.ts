import { describe, expect, it } from 'vitest';
import { awsError } from './__fixtures__/fake-aws.js';
import { retryThrottled } from './retry-throttled.js';

describe('retryThrottled', () => {
  it('waits a random share of a doubling, bounded ceiling between attempts', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await retryThrottled(
      async () => {
        if (++calls < 5) throw awsError('ThrottlingException', 'Rate exceeded');
        return 'done';
      },
      { sleep: async (milliseconds) => void waits.push(milliseconds), random: () => 1, baseDelayMs: 100, maxDelayMs: 500 },
    );
    expect(result).toBe('done');
    expect(waits).toEqual([100, 200, 400, 500]);
  });

  it('does not retry other errors', async () => {
    let calls = 0;
    await expect(
      retryThrottled(async () => {
        calls++;
        throw awsError('AccessDeniedException', 'no');
      }, { sleep: async () => {} }),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(calls).toBe(1);
  });

  it('throws the last throttling error after the last attempt', async () => {
    let calls = 0;
    await expect(
      retryThrottled(async () => {
        calls++;
        throw awsError('ThrottlingException', `attempt ${calls}`);
      }, { attempts: 3, sleep: async () => {} }),
    ).rejects.toThrow('attempt 3');
    expect(calls).toBe(3);
  });
});
