// DaskKubernetesEnvironment on the test cluster (tools/testenv/up docker registry k8s k8s-node): the
// flow's image (DockerStorage on FLOWENV_DASK_BASE_IMAGE: node, python3, distributed) runs as the
// scheduler Job; its runFlow creates worker pods that really run the tasks; the pod count never
// exceeds maxWorkers; after the suite nothing with flowenv's labels remains.
// The image is a plain DockerStorage: it ships @flowenv/dask's worker files (Python halves and the
// bundled Node task host) itself, because the flow's environment depends on @flowenv/dask.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { loadFlow, type Flow, type RunHandle } from '@flowenv/core';
import type { DaskKubernetesEnvironment } from '@flowenv/env-dask-k8s';
import { DockerStorage } from '@flowenv/storage-docker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient, removeImages } from './fixtures/docker-engine.js';
import { adminApis, createNamespace, deleteNamespace, objectsWithLabel, until } from './fixtures/k8s-cluster.js';
import { repositoryRoot, requireServiceEnv } from './testenv.js';

const k8s = requireServiceEnv('k8s', ['KUBECONFIG', 'FLOWENV_K8S_SERVER']);
requireServiceEnv('k8s-node', ['FLOWENV_K8S_NODE']);
const engine = requireServiceEnv('docker', ['DOCKER_HOST', 'FLOWENV_DASK_BASE_IMAGE']);
const registry = requireServiceEnv('registry', ['FLOWENV_REGISTRY_URL', 'FLOWENV_REGISTRY_USERNAME', 'FLOWENV_REGISTRY_PASSWORD']);

const suffix = randomBytes(3).toString('hex');
const namespace = `flowenv-e2e-dask-k8s-${suffix}`;
const flowPath = join(repositoryRoot, 'e2e', 'src', 'fixtures', 'dask-k8s-fan-flow.ts');
const managedBy = 'app.kubernetes.io/managed-by=flowenv';
const apis = adminApis(k8s.KUBECONFIG);
const docker = dockerClient(engine.DOCKER_HOST);
const handles: RunHandle[] = [];

let flow: Flow;
let storage: DockerStorage;
let location: string;

beforeAll(async () => {
  process.env['KUBECONFIG'] = k8s.KUBECONFIG;
  await createNamespace(apis, namespace);
  // runFlow, inside the Job, creates and deletes the worker pods as the namespace's default service account.
  await apis.rbac.createNamespacedRole({ namespace, body: { metadata: { name: 'dask-workers' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'list', 'delete'] }] } });
  await apis.rbac.createNamespacedRoleBinding({
    namespace,
    body: { metadata: { name: 'dask-workers' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'dask-workers' }, subjects: [{ kind: 'ServiceAccount', name: 'default', namespace }] },
  });
  flow = await loadFlow(flowPath);
  storage = new DockerStorage({
    registryUrl: registry.FLOWENV_REGISTRY_URL,
    imageName: `e2e/dask-k8s-fan-${suffix}`,
    baseImage: engine.FLOWENV_DASK_BASE_IMAGE,
    dockerHost: engine.DOCKER_HOST,
    registryUsername: registry.FLOWENV_REGISTRY_USERNAME,
    registryPassword: registry.FLOWENV_REGISTRY_PASSWORD,
    progress: 'none',
  });
  location = await storage.addFlow(flow, flowPath);
  await storage.build({ push: true });
});

afterAll(async () => {
  for (const handle of handles) await handle.cancel().catch(() => {});
  const left = await until('flowenv objects to be gone', async () => {
    const remaining = await objectsWithLabel(apis, namespace, managedBy);
    return remaining.length === 0 ? remaining : undefined;
  }, 90_000, 500).catch(async () => objectsWithLabel(apis, namespace, managedBy));
  await deleteNamespace(apis, namespace);
  await removeImages(docker, [storage.name]);
  expect(left).toEqual([]);
});

describe('DaskKubernetesEnvironment on the test cluster', () => {
  it('runs 50 tasks on worker pods started by the scheduler Job, never more than maxWorkers, and removes them', async () => {
    const environment = flow.environment as DaskKubernetesEnvironment;
    const handle = await environment.execute(storage, location, { runContext: { namespace, flowRunId: randomUUID() } });
    handles.push(handle);
    const identifier = handle.details['identifier'] as string;
    let peak = 0;
    let watching = true;
    const owners = new Set<string>();
    const watcher = (async () => {
      while (watching) {
        const pods = await apis.core.listNamespacedPod({ namespace, labelSelector: `prefect.io/identifier=${identifier},app=prefect-dask-worker` });
        peak = Math.max(peak, pods.items.filter((pod) => pod.metadata?.deletionTimestamp === undefined).length);
        for (const pod of pods.items) for (const owner of pod.metadata?.ownerReferences ?? []) owners.add(`${owner.kind}/${owner.name}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    const lines: string[] = [];
    const [outcome] = await Promise.all([handle.wait(), (async () => {
      for await (const line of handle.logs({ follow: true })) lines.push(line);
    })()]);
    watching = false;
    await watcher;
    if (outcome.state !== 'Success') console.log(lines.join('\n'));
    expect(outcome).toEqual({ state: 'Success' });
    // Every worker pod belongs to the scheduler's pod (the Job's pod: prefect-dask-job-<identifier>-xxxxx).
    expect([...owners]).toHaveLength(1);
    expect([...owners][0]).toMatch(new RegExp(`^Pod/prefect-dask-job-${identifier}-`));
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(3);
    // The run's summary, printed by the scheduler Job: all 52 tasks (50 squares, the report, the sleepMs
    // parameter) succeeded, on worker pods (HOSTNAME is the pod's name).
    expect(lines.some((line) => /^Flow "dask-k8s-fan": Success in .* — 52 Success$/.test(line))).toBe(true);
    expect(lines.some((line) => /^square-\d+\s+Success\s+1\s+\{"value":\d+,"host":"prefect-dask-worker-/.test(line))).toBe(true);
    await until('the worker pods to be gone', async () => {
      const pods = await apis.core.listNamespacedPod({ namespace, labelSelector: `prefect.io/identifier=${identifier},app=prefect-dask-worker` });
      return pods.items.length === 0 ? true : undefined;
    }, 60_000, 500);
  }, 600_000);

  it('a killed scheduler leaves no worker running: the workers exit within their 60 s death timeout', async () => {
    const environment = flow.environment as DaskKubernetesEnvironment;
    const handle = await environment.execute(storage, location, { runContext: { namespace, flowRunId: randomUUID() }, parameters: { sleepMs: 300_000 } });
    handles.push(handle);
    const identifier = handle.details['identifier'] as string;
    const workerSelector = `prefect.io/identifier=${identifier},app=prefect-dask-worker`;
    await until('a running worker pod', async () => {
      const pods = await apis.core.listNamespacedPod({ namespace, labelSelector: workerSelector });
      return pods.items.some((pod) => pod.status?.phase === 'Running') ? true : undefined;
    }, 120_000, 500);
    const schedulerPods = await apis.core.listNamespacedPod({ namespace, labelSelector: `prefect.io/identifier=${identifier},app=prefect-dask-job` });
    const schedulerPod = schedulerPods.items[0]?.metadata?.name as string;
    const containers = await docker.listContainers({ filters: { label: [`flowenv.test-node.pod-name=${schedulerPod}`] } });
    expect(containers.length).toBeGreaterThan(0);
    for (const container of containers) await docker.getContainer(container.Id).kill();
    const killedAt = Date.now();
    await until('no running worker pod', async () => {
      const pods = await apis.core.listNamespacedPod({ namespace, labelSelector: workerSelector });
      return pods.items.every((pod) => pod.status?.phase !== 'Running' && pod.status?.phase !== 'Pending') ? true : undefined;
    }, 120_000, 1000);
    expect(Date.now() - killedAt).toBeLessThan(95_000);
    expect((await handle.wait()).state).toBe('Failed');
    // Deleting the run (its Job, then its pod) takes the worker pods with it (ownerReference).
    await handle.cancel();
    await until('the worker pods to be gone', async () => {
      const pods = await apis.core.listNamespacedPod({ namespace, labelSelector: workerSelector });
      return pods.items.length === 0 ? true : undefined;
    }, 90_000, 500);
  }, 600_000);
});
