import { isRetryableKubernetesError, retryAfterSeconds } from './map-kubernetes-error.js';

export interface RetryOptions {
  /** Calls in all, the first included (default 5). */
  attempts?: number;
  /** Ceiling of the first wait, doubled each time (default 200 ms). */
  baseDelayMs?: number;
  /** Largest wait (default 5 000 ms), also for a server's Retry-After. */
  maxDelayMs?: number;
  /** For tests. */
  sleep?: (milliseconds: number) => Promise<void>;
  /** For tests: a number in [0, 1). */
  random?: () => number;
}

export const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * Calls `call` again while Kubernetes answers 429 or 5xx or the connection breaks, waiting a random
 * time up to an exponentially growing, bounded ceiling ("full jitter"), or the server's
 * Retry-After when it gives one (bounded too). Any other error, or the last retryable one, is
 * thrown as it is.
 */
export async function retryKubernetes<T>(call: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const baseDelayMs = options.baseDelayMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  const wait = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (error) {
      if (attempt >= attempts || !isRetryableKubernetesError(error)) throw error;
      const asked = retryAfterSeconds(error);
      const delay = asked !== undefined ? asked * 1000 : random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      await wait(Math.round(Math.min(maxDelayMs, delay)));
    }
  }
}
