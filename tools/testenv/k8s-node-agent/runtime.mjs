// The container runtime side: the test Docker engine through dockerode.
// Every container the agent creates carries labels naming its pod, so it can be found again after an
// agent restart (adopted, not recreated), served in /containerLogs, and removed when its pod is gone.
import Docker from 'dockerode';
import { log } from './kube.mjs';

export const LABEL_POD_UID = 'flowenv.test-node.pod-uid';
export const LABEL_POD_NAME = 'flowenv.test-node.pod-name';
export const LABEL_POD_NAMESPACE = 'flowenv.test-node.pod-namespace';
export const LABEL_CONTAINER = 'flowenv.test-node.container';
export const LABEL_NODE = 'flowenv.test-node.node';

export function dockerFromEnv(dockerHost) {
  if (!dockerHost || dockerHost.startsWith('unix://')) {
    return new Docker({ socketPath: dockerHost ? dockerHost.slice('unix://'.length) : '/var/run/docker.sock' });
  }
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port) });
}

/** `name[:tag]` with the tag made explicit (a pull without one would fetch every tag). */
export function normalizeImage(image) {
  if (image.includes('@')) return image;
  const lastSlash = image.lastIndexOf('/');
  return image.slice(lastSlash + 1).includes(':') ? image : `${image}:latest`;
}

/** The registry host of an image reference, as Docker decides it ('docker.io' for none). */
export function registryOf(image) {
  const first = image.split('/')[0];
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return 'docker.io';
}

export class Runtime {
  constructor(docker, nodeName) {
    this.docker = docker;
    this.nodeName = nodeName;
    this.pulls = new Map(); // image → in-flight pull promise (two pods, one pull)
  }

  async version() {
    const v = await this.docker.version();
    return `docker://${v.Version}`;
  }

  async inspectImage(image) {
    try {
      return await this.docker.getImage(image).inspect();
    } catch (err) {
      if (err.statusCode === 404) return null;
      throw err;
    }
  }

  /** Pulls IMAGE; rejects with the engine's message (errors arrive inside a 200 progress stream). */
  pull(image, authconfig) {
    const key = `${image}\0${authconfig?.username ?? ''}`;
    if (this.pulls.has(key)) return this.pulls.get(key);
    const promise = (async () => {
      const stream = await this.docker.pull(image, authconfig ? { authconfig } : {});
      await new Promise((resolve, reject) => {
        this.docker.modem.followProgress(stream, (err, events) => {
          if (err) return reject(err);
          const failed = events?.find((e) => e.error || e.errorDetail);
          if (failed) return reject(new Error(failed.errorDetail?.message ?? failed.error));
          resolve();
        });
      });
    })().finally(() => this.pulls.delete(key));
    this.pulls.set(key, promise);
    return promise;
  }

  /** All containers of a pod (running or exited), newest first. */
  async containersOf(podUid) {
    const list = await this.docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`${LABEL_POD_UID}=${podUid}`] }),
    });
    return list.sort((a, b) => b.Created - a.Created);
  }

  /** Every container this agent made, for reconciling against the pods that still exist. */
  async allContainers() {
    return this.docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`${LABEL_NODE}=${this.nodeName}`] }),
    });
  }

  /** The newest container for namespace/pod/container (what /containerLogs serves). */
  async findForLogs(namespace, podName, containerName) {
    const list = await this.docker.listContainers({
      all: true,
      filters: JSON.stringify({
        label: [
          `${LABEL_NODE}=${this.nodeName}`,
          `${LABEL_POD_NAMESPACE}=${namespace}`,
          `${LABEL_POD_NAME}=${podName}`,
          `${LABEL_CONTAINER}=${containerName}`,
        ],
      }),
    });
    list.sort((a, b) => b.Created - a.Created);
    return list[0] ? this.docker.getContainer(list[0].Id) : null;
  }

  labelsFor(pod, containerName) {
    return {
      [LABEL_POD_UID]: pod.metadata.uid,
      [LABEL_POD_NAME]: pod.metadata.name,
      [LABEL_POD_NAMESPACE]: pod.metadata.namespace,
      [LABEL_CONTAINER]: containerName,
      [LABEL_NODE]: this.nodeName,
    };
  }

  /** Stops (TERM, then KILL after graceSeconds) and removes a container; a missing one is fine. */
  async stopAndRemove(id, graceSeconds) {
    const container = this.docker.getContainer(id);
    try {
      await container.stop({ t: Math.max(0, Math.round(graceSeconds)) });
    } catch (err) {
      if (err.statusCode !== 304 && err.statusCode !== 404) log(`docker stop ${id.slice(0, 12)} failed: ${err.message}`);
    }
    await this.remove(id);
  }

  async stop(id, graceSeconds) {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.round(graceSeconds)) });
    } catch (err) {
      if (err.statusCode !== 304 && err.statusCode !== 404) throw err;
    }
  }

  async remove(id) {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
    }
  }
}
