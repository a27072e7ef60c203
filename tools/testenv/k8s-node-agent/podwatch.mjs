// A list+watch of all pods that survives disconnects, like client-go's reflector:
// list → remember resourceVersion → watch from it (with bookmarks, so the version stays fresh) →
// on a clean close or network error, watch again from the last version seen → on 410 Gone
// (the version was compacted away) list again and diff against what we knew, so a pod deleted
// while we were not watching still produces a DELETED.
import { Watch } from '@kubernetes/client-node';
import { describe, log, sleep } from './kube.mjs';

export class PodWatch {
  /**
   * @param {object} api from kube.connect()
   * @param {(type: 'ADDED'|'MODIFIED'|'DELETED', pod: object) => void} onEvent
   * @param {(pods: object[]) => void} [onRelist] called after each (re)list with every pod that exists
   */
  constructor(api, onEvent, onRelist, { watchTimeoutSeconds = 300 } = {}) {
    this.api = api;
    this.watchTimeoutSeconds = watchTimeoutSeconds;
    this.onEvent = onEvent;
    this.onRelist = onRelist;
    this.known = new Map(); // uid → pod
    this.resourceVersion = '';
    this.abort = new AbortController();
    this.current = null; // the watch's own AbortController
    this.listed = null; // resolves after the first list
  }

  start() {
    this.listed = new Promise((resolve) => (this.resolveListed = resolve));
    this.loop().catch((err) => log(`pod watch loop ended: ${err.stack ?? err}`));
    return this.listed;
  }

  stop() {
    this.abort.abort();
    this.current?.abort();
  }

  async relist() {
    const list = await this.api.core.listPodForAllNamespaces({});
    const seen = new Set();
    for (const pod of list.items) {
      seen.add(pod.metadata.uid);
      this.onEvent(this.known.has(pod.metadata.uid) ? 'MODIFIED' : 'ADDED', pod);
      this.known.set(pod.metadata.uid, pod);
    }
    for (const [uid, pod] of this.known) {
      if (!seen.has(uid)) {
        this.known.delete(uid);
        this.onEvent('DELETED', pod);
      }
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    this.onRelist?.(list.items);
    this.resolveListed?.();
  }

  async loop() {
    let needList = true;
    let failures = 0;
    while (!this.abort.signal.aborted) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        const outcome = await this.watchOnce();
        failures = 0;
        if (outcome === 'gone') {
          log(`pod watch: resourceVersion ${this.resourceVersion} expired (410): relisting`);
          needList = true;
        }
      } catch (err) {
        failures++;
        if (!this.abort.signal.aborted) {
          log(`pod watch interrupted (${describe(err)}); retrying from resourceVersion ${this.resourceVersion || '(relist)'}`);
        }
        await sleep(Math.min(500 * 2 ** Math.min(failures, 4), 8000), this.abort.signal);
      }
    }
  }

  /** One watch request; resolves 'closed' on a normal end, 'gone' on 410, rejects on errors. */
  watchOnce() {
    return new Promise((resolve, reject) => {
      let gone = false;
      const watch = new Watch(this.api.kc);
      watch
        .watch(
          '/api/v1/pods',
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            // The server ends the watch after this long; we simply start the next one from where it ended.
            timeoutSeconds: this.watchTimeoutSeconds,
          },
          (type, obj) => {
            if (type === 'BOOKMARK') {
              this.resourceVersion = obj?.metadata?.resourceVersion ?? this.resourceVersion;
              return;
            }
            if (type === 'ERROR') {
              if (obj?.code === 410) gone = true;
              else log(`pod watch error event: ${obj?.message ?? JSON.stringify(obj)}`);
              this.current?.abort();
              return;
            }
            if (!obj?.metadata) return;
            this.resourceVersion = obj.metadata.resourceVersion ?? this.resourceVersion;
            if (type === 'DELETED') this.known.delete(obj.metadata.uid);
            else this.known.set(obj.metadata.uid, obj);
            try {
              this.onEvent(type, obj);
            } catch (err) {
              log(`pod event handler failed: ${err.stack ?? err}`);
            }
          },
          (err) => {
            if (gone || err?.statusCode === 410) resolve('gone');
            else if (err && err.name !== 'AbortError' && !this.abort.signal.aborted) reject(err);
            else resolve('closed');
          },
        )
        .then((controller) => {
          this.current = controller;
          if (this.abort.signal.aborted) controller.abort();
        }, reject);
    });
  }
}
