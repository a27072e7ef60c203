// Copied from @flowenv/env-fargate (providers do not import each other; STYLE.md).
import { isThrottlingError } from './map-aws-error.js';

export interface RetryOptions {
  /** Calls in all, the first included (default 6). */
  attempts?: number;
  /** Ceiling of the first wait, doubled each time (default 250 ms). */
  baseDelayMs?: number;
  /** Largest wait (default 8 000 ms). */
  maxDelayMs?: number;
  /** For tests. */
  sleep?: (milliseconds: number) => Promise<void>;
  /** For tests: a number in [0, 1). */
  random?: () => number;
}

export const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * Calls `call` again while AWS answers "throttled" or "too many concurrent attempts", waiting a
 * random time up to an exponentially growing, bounded ceiling ("full jitter") so that concurrent
 * callers spread out. Any other error, or the last throttling one, is thrown as it is.
 */
export async function retryThrottled<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 6);
  const baseDelayMs = options.baseDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 8_000;
  const wait = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !isThrottlingError(error)) throw error;
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      await wait(Math.round(random() * ceiling));
    }
  }
}
