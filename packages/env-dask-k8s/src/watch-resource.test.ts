import type { V1ObjectMeta } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { apiError, networkError } from './__fixtures__/fake-kubernetes-api.js';
import type { WatchEvent } from './kubernetes-api.js';
import { runResourceWatch } from './watch-resource.js';

interface Thing {
  metadata: V1ObjectMeta;
  value: string;
}

const thing = (value: string, resourceVersion: string): Thing => ({ metadata: { name: 'a', resourceVersion }, value });
type Session = (WatchEvent<Thing> | Error)[];

/** Runs a watch over scripted lists and sessions until `stopAfter` events were seen; returns what happened. */
async function run(options: { lists: Thing[][]; sessions: Session[]; stopAfter: number; maxConsecutiveFailures?: number }) {
  const controller = new AbortController();
  const seen: string[] = [];
  const watchedFrom: (string | undefined)[] = [];
  const sleeps: number[] = [];
  let listCalls = 0;
  const note = (entry: string): void => {
    seen.push(entry);
    if (seen.length >= options.stopAfter) controller.abort();
  };
  const result = runResourceWatch<Thing>({
    list: async () => {
      const items = options.lists[listCalls++] ?? [];
      return { items, resourceVersion: `list-${listCalls}` };
    },
    watch: (resourceVersion) => {
      watchedFrom.push(resourceVersion);
      const session = options.sessions.shift();
      return (async function* () {
        if (session === undefined) {
          controller.abort();
          return;
        }
        for (const item of session) {
          if (item instanceof Error) throw item;
          yield item;
        }
      })();
    },
    onList: (items) => note(`list:${items.map((item) => item.value).join(',')}`),
    onEvent: (type, object) => note(`${type}:${object.value}`),
    signal: controller.signal,
    sleep: async (milliseconds) => void sleeps.push(milliseconds),
    ...(options.maxConsecutiveFailures === undefined ? {} : { maxConsecutiveFailures: options.maxConsecutiveFailures }),
  });
  return { result, seen, watchedFrom, sleeps, listCalls: () => listCalls };
}

describe('runResourceWatch', () => {
  it('lists, watches from the list version, and resumes from the last version seen after the server ends the stream', async () => {
    const watch = await run({
      lists: [[thing('a0', '5')]],
      sessions: [
        [{ type: 'MODIFIED', object: thing('a1', '7') }, { type: 'BOOKMARK', object: thing('', '9') }],
        [{ type: 'MODIFIED', object: thing('a2', '12') }],
      ],
      stopAfter: 3,
    });
    await watch.result;
    expect(watch.seen).toEqual(['list:a0', 'MODIFIED:a1', 'MODIFIED:a2']);
    expect(watch.watchedFrom).toEqual(['list-1', '9']);
  });

  it('resumes after a broken connection with back-off', async () => {
    const watch = await run({
      lists: [[]],
      sessions: [[{ type: 'ADDED', object: thing('a1', '7') }, networkError()], [networkError('ECONNREFUSED')], [{ type: 'MODIFIED', object: thing('a2', '8') }]],
      stopAfter: 3,
    });
    await watch.result;
    expect(watch.seen).toEqual(['list:', 'ADDED:a1', 'MODIFIED:a2']);
    expect(watch.watchedFrom).toEqual(['list-1', '7', '7']);
    expect(watch.sleeps).toEqual([1_000, 2_000]);
  });

  it('lists again when the version expired (410 Gone as an event or as an answer)', async () => {
    const watch = await run({
      lists: [[thing('a0', '1')], [thing('a5', '50')], [thing('a6', '60')]],
      sessions: [[{ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 1 (40)' } }], [apiError(410, { reason: 'Expired' })], []],
      stopAfter: 3,
    });
    await watch.result;
    expect(watch.seen).toEqual(['list:a0', 'list:a5', 'list:a6']);
    expect(watch.listCalls()).toBe(3);
  });

  it('rejects at once on a non-retryable answer, and after too many failures in a row', async () => {
    const forbidden = await run({ lists: [[]], sessions: [[apiError(403, { reason: 'Forbidden' })]], stopAfter: 99 });
    await expect(forbidden.result).rejects.toMatchObject({ code: 403 });
    const flaky = await run({ lists: [[]], sessions: [[networkError()], [networkError()], [networkError()]], stopAfter: 99, maxConsecutiveFailures: 3 });
    await expect(flaky.result).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(flaky.sleeps).toEqual([1_000, 2_000]);
  });
});
