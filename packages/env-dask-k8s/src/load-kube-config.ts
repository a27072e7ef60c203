import { existsSync } from 'node:fs';
import { FlowenvError, processEnvironment } from '@flowenv/core';
import type { KubeConfig } from '@kubernetes/client-node';

/** Where Kubernetes mounts a pod's service account token. */
export const SERVICE_ACCOUNT_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** What the `kubeConfig` option may be: a loaded KubeConfig, or the path of a kubeconfig file. */
export type KubeConfigSource = KubeConfig | string;

export interface LoadKubeConfigOptions {
  /** The process's variables (default: this process's); only KUBERNETES_SERVICE_HOST is read here. */
  environment?: Record<string, string | undefined>;
  /** Whether the service account token exists (default: a look at {@link SERVICE_ACCOUNT_TOKEN_PATH}). */
  hasServiceAccountToken?: () => boolean;
}

/** True inside a Kubernetes pod that has a service account token. */
export function isInCluster(options: LoadKubeConfigOptions = {}): boolean {
  const environment = options.environment ?? processEnvironment();
  const hasToken = options.hasServiceAccountToken ?? (() => existsSync(SERVICE_ACCOUNT_TOKEN_PATH));
  return Boolean(environment['KUBERNETES_SERVICE_HOST']) && hasToken();
}

/**
 * The cluster connection: the `kubeConfig` option when given (a KubeConfig, or a file path); inside
 * a pod, the pod's service account (in-cluster config); otherwise the SDK's default loader —
 * KUBECONFIG (its files merged), then ~/.kube/config. 0.11 accepted in-cluster config only
 * (spec 2.4), so nothing could be started from outside a cluster. The SDK is imported here, on
 * first use, so that the flow container (which only runs `runFlow`) never loads it.
 */
export async function loadKubeConfig(source?: KubeConfigSource, options: LoadKubeConfigOptions = {}): Promise<KubeConfig> {
  if (typeof source === 'object') return source;
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  let origin: string;
  try {
    if (typeof source === 'string') {
      origin = `the kubeconfig file ${source}`;
      config.loadFromFile(source);
    } else if (isInCluster(options)) {
      origin = "this pod's service account (in-cluster config)";
      config.loadFromCluster();
    } else {
      origin = 'KUBECONFIG or ~/.kube/config';
      config.loadFromDefault();
    }
  } catch (error) {
    throw new FlowenvError({
      code: 'K8S_CONFIG_INVALID',
      message: `Cannot load the Kubernetes configuration (${(error as Error).message}): check KUBECONFIG, ~/.kube/config or the \`kubeConfig\` option`,
      cause: error,
    });
  }
  const cluster = config.getCurrentCluster();
  // With nothing to load, the SDK falls back to an unauthenticated http://localhost:8080.
  if (cluster === null || (source === undefined && cluster.name === 'cluster' && cluster.server === 'http://localhost:8080')) {
    throw new FlowenvError({
      code: 'K8S_CONFIG_INVALID',
      message: `No Kubernetes cluster configured (looked at ${origin}): set KUBECONFIG, create ~/.kube/config, pass \`kubeConfig\`, or run inside a cluster`,
    });
  }
  return config;
}
