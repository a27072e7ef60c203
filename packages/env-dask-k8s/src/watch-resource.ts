import type { V1ObjectMeta, V1Status } from '@kubernetes/client-node';
import type { WatchEvent } from './kubernetes-api.js';
import { isRetryableKubernetesError, kubernetesErrorFacts } from './map-kubernetes-error.js';

export interface ResourceWatchOptions<T extends { metadata?: V1ObjectMeta | undefined }> {
  /** The current objects and the version to watch from. */
  list(): Promise<{ items: T[]; resourceVersion: string | undefined }>;
  /** Changes after `resourceVersion`, until the server closes the stream. */
  watch(resourceVersion: string | undefined, signal: AbortSignal): AsyncIterable<WatchEvent<T>>;
  /** A (re)list: the complete current state. */
  onList(items: T[]): void;
  onEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: T): void;
  signal: AbortSignal;
  /** Failed connections in a row before giving up (default 8: about 2 minutes of back-off). */
  maxConsecutiveFailures?: number;
  /** For tests. */
  sleep?: (milliseconds: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Keeps a list+watch of one kind of object going until `signal` aborts — the informer pattern,
 * small: list, watch from the list's version, resume from the last version seen when the server
 * closes the stream (its `timeoutSeconds`) or the connection breaks, and list again when the
 * version expired (410 Gone). Connection failures are retried with back-off (1 s doubling to 30 s);
 * a non-retryable answer (403 on watch, …) or too many failures in a row rejects.
 */
export async function runResourceWatch<T extends { metadata?: V1ObjectMeta | undefined }>(options: ResourceWatchOptions<T>): Promise<void> {
  const maxFailures = options.maxConsecutiveFailures ?? 8;
  const pause = options.sleep ?? sleepUnlessAborted;
  let resourceVersion: string | undefined;
  let listed = false;
  let failures = 0;
  while (!options.signal.aborted) {
    try {
      if (!listed) {
        const list = await options.list();
        options.onList(list.items);
        resourceVersion = list.resourceVersion;
        listed = true;
      }
      let events = 0;
      for await (const event of options.watch(resourceVersion, options.signal)) {
        events += 1;
        failures = 0;
        if (event.type === 'ERROR') {
          if (event.object.code === 410) {
            listed = false;
            break;
          }
          throw statusError(event.object);
        }
        const version = event.object.metadata?.resourceVersion;
        if (version) resourceVersion = version;
        if (event.type !== 'BOOKMARK') options.onEvent(event.type, event.object);
        if (options.signal.aborted) return;
      }
      // A server that ends every watch at once must not turn this loop into a busy one.
      if (events === 0 && listed) await pause(1_000, options.signal);
    } catch (error) {
      if (options.signal.aborted) return;
      if (kubernetesErrorFacts(error).status === 410) {
        listed = false;
        continue;
      }
      failures += 1;
      if (!isRetryableKubernetesError(error) || failures >= maxFailures) throw error;
      await pause(Math.min(30_000, 1_000 * 2 ** (failures - 1)), options.signal);
    }
  }
}

function statusError(status: V1Status): Error {
  return Object.assign(new Error(status.message ?? `watch error ${status.code ?? ''}`), { code: status.code, status });
}

export function sleepUnlessAborted(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
