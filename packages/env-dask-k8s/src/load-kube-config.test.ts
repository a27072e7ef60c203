import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowenvError } from '@flowenv/core';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { localKubeConfigYaml } from './__fixtures__/local-kubeconfig.js';
import { isInCluster, loadKubeConfig } from './load-kube-config.js';

/** Runs `body` with the given variables set (undefined: removed), then restores them. */
async function withVariables<T>(variables: Record<string, string | undefined>, body: () => T | Promise<T>): Promise<T> {
  const previous = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(variables);
  try {
    return await body();
  } finally {
    apply(previous);
  }
}

const directory = mkdtempSync(join(tmpdir(), 'flowenv-kubeconfig-'));
const file = join(directory, 'config');
writeFileSync(file, localKubeConfigYaml(6443, { namespace: 'from-file' }));
const emptyHome = mkdtempSync(join(tmpdir(), 'flowenv-home-'));

async function rejectionOf(promise: Promise<unknown>): Promise<FlowenvError> {
  try {
    await promise;
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('loadKubeConfig', () => {
  it('uses a given KubeConfig as it is, or loads a given file', async () => {
    const given = new KubeConfig();
    expect(await loadKubeConfig(given)).toBe(given);
    const loaded = await loadKubeConfig(file);
    expect(loaded.getCurrentCluster()?.server).toBe('http://127.0.0.1:6443');
  });

  it('outside a cluster reads KUBECONFIG (0.11 required in-cluster config)', async () => {
    await withVariables({ KUBECONFIG: file, KUBERNETES_SERVICE_HOST: undefined }, async () => {
      const loaded = await loadKubeConfig();
      expect(loaded.getContextObject(loaded.getCurrentContext())?.namespace).toBe('from-file');
    });
  });

  it("inside a pod uses the pod's service account", async () => {
    expect(isInCluster({ environment: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, hasServiceAccountToken: () => true })).toBe(true);
    expect(isInCluster({ environment: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, hasServiceAccountToken: () => false })).toBe(false);
    expect(isInCluster({ environment: {}, hasServiceAccountToken: () => true })).toBe(false);
    await withVariables({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443', KUBECONFIG: file }, async () => {
      const loaded = await loadKubeConfig(undefined, { hasServiceAccountToken: () => true });
      expect(loaded.getCurrentCluster()).toMatchObject({ name: 'inCluster', server: 'https://10.0.0.1:443' });
    });
  });

  it('says what to set when nothing is configured, and names an unreadable file', async () => {
    await withVariables({ KUBECONFIG: undefined, KUBERNETES_SERVICE_HOST: undefined, HOME: emptyHome }, async () => {
      const error = await rejectionOf(loadKubeConfig());
      expect(error.code).toBe('K8S_CONFIG_INVALID');
      expect(error.message).toBe('No Kubernetes cluster configured (looked at KUBECONFIG or ~/.kube/config): set KUBECONFIG, create ~/.kube/config, pass `kubeConfig`, or run inside a cluster');
    });
    const missing = await rejectionOf(loadKubeConfig(join(directory, 'missing')));
    expect(missing.code).toBe('K8S_CONFIG_INVALID');
    expect(missing.message).toContain('ENOENT');
  });
});
