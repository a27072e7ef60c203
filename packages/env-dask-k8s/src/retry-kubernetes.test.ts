import { describe, expect, it } from 'vitest';
import { apiError, networkError } from './__fixtures__/fake-kubernetes-api.js';
import { retryKubernetes } from './retry-kubernetes.js';

function scripted(outcomes: unknown[]) {
  let calls = 0;
  return {
    call: async (): Promise<string> => {
      const outcome = outcomes[calls++];
      if (outcome instanceof Error) throw outcome;
      return outcome as string;
    },
    calls: () => calls,
  };
}

describe('retryKubernetes', () => {
  it('retries 429, 5xx and broken connections with growing, bounded, jittered waits', async () => {
    const waits: number[] = [];
    const script = scripted([apiError(429), apiError(503), networkError(), apiError(500), 'created']);
    const result = await retryKubernetes(script.call, { sleep: async (ms) => void waits.push(ms), random: () => 0.999, baseDelayMs: 100, maxDelayMs: 500 });
    expect(result).toBe('created');
    expect(script.calls()).toBe(5);
    expect(waits).toEqual([100, 200, 400, 500]);
  });

  it("waits what the server's Retry-After says, bounded", async () => {
    const waits: number[] = [];
    const script = scripted([apiError(429, {}, { 'Retry-After': '1' }), apiError(429, {}, { 'Retry-After': '60' }), 'ok']);
    await retryKubernetes(script.call, { sleep: async (ms) => void waits.push(ms), maxDelayMs: 5_000 });
    expect(waits).toEqual([1_000, 5_000]);
  });

  it('gives up after the attempts and throws the last error; other errors at once', async () => {
    const script = scripted([apiError(503), apiError(503), apiError(503)]);
    await expect(retryKubernetes(script.call, { attempts: 3, sleep: async () => {} })).rejects.toMatchObject({ code: 503 });
    expect(script.calls()).toBe(3);
    const forbidden = scripted([apiError(403), 'never']);
    await expect(retryKubernetes(forbidden.call, { sleep: async () => {} })).rejects.toMatchObject({ code: 403 });
    expect(forbidden.calls()).toBe(1);
  });
});
