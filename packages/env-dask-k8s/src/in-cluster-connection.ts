import { readFileSync } from 'node:fs';
import type https from 'node:https';
import { FlowenvError, processEnvironment } from '@flowenv/core';
import type { KubeConfig } from '@kubernetes/client-node';

/** What createKubernetesApi uses of a KubeConfig. */
export type KubeConnection = Pick<KubeConfig, 'getCurrentCluster' | 'getContextObject' | 'getCurrentContext' | 'applyToHTTPSOptions'>;

/** Where Kubernetes mounts a pod's service account. */
export const SERVICE_ACCOUNT_DIRECTORY = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The pod's own service account as a {@link KubeConnection}, without the Kubernetes SDK: runFlow
 * runs inside the flow's image, where the bundled SDK cannot load (it requires `tar-stream`, which
 * DockerStorage leaves out of bundles), and needs nothing but the API server's address
 * (KUBERNETES_SERVICE_HOST/PORT), the CA and the token. The token is read for every request, as
 * bound service account tokens are rotated by the kubelet.
 */
export function inClusterConnection(directory: string = SERVICE_ACCOUNT_DIRECTORY, environment: Record<string, string | undefined> = processEnvironment()): KubeConnection {
  const host = environment['KUBERNETES_SERVICE_HOST'];
  const port = environment['KUBERNETES_SERVICE_PORT'] ?? '443';
  if (!host) {
    throw new FlowenvError({ code: 'K8S_CONFIG_INVALID', message: 'Not inside a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set): pass `kubeConfig`' });
  }
  const read = (name: string): string => {
    try {
      return readFileSync(`${directory}/${name}`, 'utf8');
    } catch (error) {
      throw new FlowenvError({ code: 'K8S_CONFIG_INVALID', message: `Cannot read the pod's service account ${name} in ${directory}: ${(error as Error).message}`, cause: error });
    }
  };
  const ca = read('ca.crt');
  let namespace: string | undefined;
  try {
    namespace = readFileSync(`${directory}/namespace`, 'utf8').trim() || undefined;
  } catch {
    namespace = undefined;
  }
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const cluster = { name: 'in-cluster', server, skipTLSVerify: false, caData: undefined };
  return {
    getCurrentCluster: () => cluster,
    getCurrentContext: () => 'in-cluster',
    getContextObject: () => ({ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', ...(namespace === undefined ? {} : { namespace }) }),
    applyToHTTPSOptions: async (options: https.RequestOptions) => {
      options.ca = ca;
      options.headers = { ...options.headers, Authorization: `Bearer ${read('token').trim()}` };
    },
  } as KubeConnection;
}
