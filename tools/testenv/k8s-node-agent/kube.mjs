// The agent's view of the API server: one KubeConfig, the typed clients it needs, and small helpers
// around the quirks of @kubernetes/client-node 1.x (ObjectParam calls, ApiException with `.code`,
// patch content types chosen through a header middleware).
import {
  KubeConfig,
  CoreV1Api,
  CoordinationV1Api,
  VersionApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';

export function connect(kubeconfigPath) {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`no current cluster in ${kubeconfigPath}`);
  return {
    kc,
    server: cluster.server,
    // The CA the containers get in ca.crt when a pod has no projected kube-root-ca.crt (see volumes.mjs).
    caPem: cluster.caData ? Buffer.from(cluster.caData, 'base64').toString('utf8') : null,
    core: kc.makeApiClient(CoreV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    version: kc.makeApiClient(VersionApi),
  };
}

// A kubelet writes pod and node status as strategic merge patches: conditions merge by type, so a
// condition another controller added (DisruptionTarget…) survives; containerStatuses are replaced whole.
export const strategicMerge = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** HTTP status of a failed API call (0 when it never got an answer). */
export function statusOf(err) {
  return typeof err?.code === 'number' ? err.code : 0;
}

/** A one-line reason for a failed API call: the Status message when the server sent one. */
export function describe(err) {
  let body = err?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      /* keep the text */
    }
  }
  if (body && typeof body === 'object' && body.message) return `${statusOf(err)} ${body.message}`;
  if (typeof body === 'string' && body) return `${statusOf(err)} ${body.slice(0, 200)}`;
  return String(err?.message ?? err).split('\n')[0];
}

export const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

export function log(message) {
  process.stdout.write(`[k8s-node ${new Date().toISOString()}] ${message}\n`);
}
