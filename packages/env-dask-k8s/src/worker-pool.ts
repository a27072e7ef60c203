import { describeError, type Logger } from '@flowenv/core';
import type { V1Pod } from '@kubernetes/client-node';
import { IDENTIFIER_LABEL } from './flow-container.js';
import type { KubernetesApi } from './kubernetes-api.js';
import { kubernetesErrorFacts, mapKubernetesError } from './map-kubernetes-error.js';

export interface WorkerPoolInput {
  api: KubernetesApi;
  namespace: string;
  identifier: string;
  /** A new worker pod manifest (buildWorkerPod with this run's input). */
  buildPod: () => V1Pod;
  logger: Logger;
}

/**
 * The worker pods of one run: created and deleted by `scaleTo`, all deleted by `close` (which the
 * run calls in `finally`). Only pods this pool created are ever deleted. A pod that ended on its own
 * (its worker died, or was evicted) no longer counts and is deleted at the next `scaleTo`.
 */
export class WorkerPool {
  readonly #input: WorkerPoolInput;
  readonly #pods: string[] = [];
  #peak = 0;
  #closed = false;

  constructor(input: WorkerPoolInput) {
    this.#input = input;
  }

  /** The pods this pool counts as running workers. */
  get size(): number {
    return this.#pods.length;
  }

  /** The most pods that existed at once. */
  get peak(): number {
    return this.#peak;
  }

  /** Creates or deletes worker pods until `count` exist. */
  async scaleTo(count: number): Promise<void> {
    if (this.#closed) return;
    await this.forgetEndedPods();
    const { api, namespace, logger } = this.#input;
    while (this.#pods.length < count && !this.#closed) {
      let pod: V1Pod;
      try {
        pod = await api.createPod(namespace, this.#input.buildPod());
      } catch (error) {
        throw mapKubernetesError(error, { verb: 'create', resource: 'pods', group: '', namespace, server: api.server });
      }
      const name = pod.metadata?.name ?? '';
      this.#pods.push(name);
      this.#peak = Math.max(this.#peak, this.#pods.length);
      logger.info(`Started Dask worker pod ${name} (${this.#pods.length} running)`);
    }
    while (this.#pods.length > count) {
      const name = this.#pods.pop() as string;
      await this.deletePod(name);
      logger.info(`Stopped Dask worker pod ${name} (${this.#pods.length} running)`);
    }
  }

  /** Deletes every pod this pool created; never throws (it runs in `finally`). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const names = this.#pods.splice(0);
    await Promise.all(names.map((name) => this.deletePod(name)));
    if (names.length > 0) this.#input.logger.info(`Deleted ${names.length} Dask worker pod(s)`);
  }

  private async forgetEndedPods(): Promise<void> {
    if (this.#pods.length === 0) return;
    const { api, namespace, identifier, logger } = this.#input;
    try {
      const list = await api.listPods(namespace, { labelSelector: `${IDENTIFIER_LABEL}=${identifier}` });
      const phases = new Map(list.items.map((pod) => [pod.metadata?.name ?? '', pod.status?.phase]));
      for (const name of [...this.#pods]) {
        const phase = phases.get(name);
        if (phase === 'Succeeded' || phase === 'Failed' || (phase === undefined && !phases.has(name))) {
          this.#pods.splice(this.#pods.indexOf(name), 1);
          logger.warn(`Dask worker pod ${name} ended (${phase ?? 'gone'})`);
          if (phase !== undefined) await this.deletePod(name);
        }
      }
    } catch (error) {
      logger.debug(`Could not list the worker pods: ${describeError(error)}`);
    }
  }

  private async deletePod(name: string): Promise<void> {
    const { api, namespace, logger } = this.#input;
    try {
      await api.deletePod(namespace, name, 5);
    } catch (error) {
      if (kubernetesErrorFacts(error).status === 404) return;
      logger.warn(`Could not delete Dask worker pod ${name}: ${describeError(error)} (its ownerReference to the scheduler pod removes it with the Job)`);
    }
  }
}
