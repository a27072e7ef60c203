// KubernetesJobEnvironment on the test cluster (tools/testenv/up docker registry k8s k8s-node): a
// real kube-apiserver, controller manager and the test node agent, which runs pods with Docker.
// The example flow is built into an image with DockerStorage, pushed to the test registry and run as
// a Job: it completes and its logs show the tasks; a failing task fails the Job and wait() says why;
// a memory hog is reported as OOMKilled, a missing image as ImagePullBackOff and a Job that cannot
// create its pod with its FailedCreate event, within the stuck timeout; cancel() removes the Job and its pods; the API server's own answers (409, 403, 422, 404)
// become clear errors; a service account with exactly the README's RBAC rules can run, follow and
// cancel a Job. Everything runs in a namespace of its own, and nothing with flowenv's labels may
// remain in it at the end.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { FLOW_EXECUTE_COMMAND, FlowenvError, loadFlow, type Flow, type RunHandle } from '@flowenv/core';
import { KubernetesJobEnvironment, type KubernetesJobEnvironmentOptions } from '@flowenv/env-k8s-job';
import { DockerStorage, flowExecuteCommand } from '@flowenv/storage-docker';
import type { V1Job, V1Pod, V1Secret } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient, removeImages } from './fixtures/docker-engine.js';
import { adminApis, createNamespace, deleteNamespace, objectsWithLabel, serviceAccountKubeConfig, until } from './fixtures/k8s-cluster.js';
import { repositoryRoot, requireServiceEnv } from './testenv.js';

const k8s = requireServiceEnv('k8s', ['KUBECONFIG', 'FLOWENV_K8S_SERVER']);
requireServiceEnv('k8s-node', ['FLOWENV_K8S_NODE']);
const engine = requireServiceEnv('docker', ['DOCKER_HOST', 'FLOWENV_NODE_BASE_IMAGE']);
const registry = requireServiceEnv('registry', ['FLOWENV_REGISTRY_URL', 'FLOWENV_REGISTRY_USERNAME', 'FLOWENV_REGISTRY_PASSWORD']);

const suffix = randomBytes(3).toString('hex');
const namespace = `flowenv-e2e-k8s-${suffix}`;
const flowPath = join(repositoryRoot, 'e2e', 'src', 'fixtures', 'k8s-hello-flow.ts');
const jobSpecFile = join(repositoryRoot, 'e2e', 'src', 'fixtures', 'k8s-job.yaml');
const managedBy = 'app.kubernetes.io/managed-by=flowenv';
const apis = adminApis(k8s.KUBECONFIG);
const docker = dockerClient(engine.DOCKER_HOST);
const handles: RunHandle[] = [];

let flow: Flow;
let storage: DockerStorage;
let location: string;

/** The flow module's own environment, as `flowenv deploy` would use it (kubeconfig from KUBECONFIG). */
const flowEnvironment = (): KubernetesJobEnvironment => flow.environment as KubernetesJobEnvironment;
const environment = (options: KubernetesJobEnvironmentOptions = {}): KubernetesJobEnvironment =>
  new KubernetesJobEnvironment({ jobSpecFile, namespace, stuckTimeoutSeconds: 10, ...options });

async function run(created: KubernetesJobEnvironment, parameters: Record<string, unknown> = {}, flowRunId = randomUUID()): Promise<RunHandle> {
  const handle = await created.execute(storage, location, { parameters, runContext: { namespace, flowRunId } });
  handles.push(handle);
  return handle;
}

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const collected: string[] = [];
  for await (const line of lines) collected.push(line);
  return collected;
}

async function rejectionOf(promise: Promise<unknown>): Promise<FlowenvError> {
  try {
    await promise;
  } catch (error) {
    if (FlowenvError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

const readJob = (name: string): Promise<V1Job | undefined> =>
  apis.batch.readNamespacedJob({ name, namespace }).catch((error: { code?: number }) => {
    if (error.code === 404) return undefined;
    throw error;
  });
const podsOf = async (identifier: string): Promise<V1Pod[]> =>
  (await apis.core.listNamespacedPod({ namespace, labelSelector: `prefect.io/identifier=${identifier}` })).items;

beforeAll(async () => {
  process.env['KUBECONFIG'] = k8s.KUBECONFIG;
  await createNamespace(apis, namespace);
  flow = await loadFlow(flowPath);
  storage = new DockerStorage({
    registryUrl: registry.FLOWENV_REGISTRY_URL,
    imageName: `e2e/k8s-hello-${suffix}`,
    baseImage: engine.FLOWENV_NODE_BASE_IMAGE,
    dockerHost: engine.DOCKER_HOST,
    registryUsername: registry.FLOWENV_REGISTRY_USERNAME,
    registryPassword: registry.FLOWENV_REGISTRY_PASSWORD,
    progress: 'none',
  });
  location = await storage.addFlow(flow, flowPath);
  await storage.build({ push: true });
  // The node agent must pull it from the registry, as a kubelet would.
  await removeImages(docker, [storage.name]);
});

afterAll(async () => {
  for (const handle of handles) await handle.cancel().catch(() => {});
  // Per-run Secrets go with their Job through the garbage collector: give it a moment.
  const left = await until('flowenv objects to be gone', async () => {
    const remaining = await objectsWithLabel(apis, namespace, managedBy);
    return remaining.length === 0 ? remaining : undefined;
  }, 60_000, 500).catch(async () => objectsWithLabel(apis, namespace, managedBy));
  await deleteNamespace(apis, namespace);
  await removeImages(docker, [storage.name]);
  delete process.env['PREFECT__CLOUD__AUTH_TOKEN'];
  expect(left).toEqual([]);
});

describe('KubernetesJobEnvironment on the test cluster', () => {
  it("runs the image's own command: one constant in core, DockerStorage and the Job", async () => {
    expect([...flowExecuteCommand]).toEqual([...FLOW_EXECUTE_COMMAND]);
    const documents = await flowEnvironment().render(storage, location);
    const job = documents.find((document) => document.kind === 'Job')?.document as V1Job;
    expect(job.spec?.template.spec?.containers[0]?.command).toEqual([...FLOW_EXECUTE_COMMAND]);
  });

  it('runs the example flow as a Job to Complete; logs() shows the tasks, the token comes from a Secret', async () => {
    const token = `e2e-token-${randomUUID()}`;
    process.env['PREFECT__CLOUD__AUTH_TOKEN'] = token;
    const flowRunId = randomUUID();
    let handle: RunHandle;
    try {
      handle = await run(flowEnvironment(), { who: 'Ada' }, flowRunId);
    } finally {
      delete process.env['PREFECT__CLOUD__AUTH_TOKEN'];
    }
    expect(handle.kind).toBe('kubernetes-job');
    expect(handle.details).toMatchObject({ namespace, job: handle.id });
    const identifier = handle.details['identifier'] as string;

    const [lines, outcome] = await Promise.all([collect(handle.logs({ follow: true })), handle.wait()]);
    expect(outcome).toEqual({ state: 'Success' });
    expect(lines).toContain('HELLO, ADA! (8 letters)');
    expect(lines).toContain(`auth token: ${token.length} characters`);
    expect(lines.some((line) => /^report\s+Success\s+1\s+\{"shout":"HELLO, ADA!","letters":8\}$/.test(line))).toBe(true);
    expect(lines.some((line) => /^Flow "k8s-hello": Success in \d+ ms — 8 Success$/.test(line))).toBe(true);
    // Non-follow after the end: the same log.
    expect(await collect(handle.logs())).toEqual(lines);

    const job = await readJob(handle.id);
    expect(job?.metadata?.uid).toBe(handle.details['uid']);
    expect(job?.metadata?.labels).toMatchObject({ 'prefect.io/identifier': identifier, 'prefect.io/flow_run_id': flowRunId, suite: 'k8s-job-e2e' });
    expect(job?.spec).toMatchObject({ backoffLimit: 0, ttlSecondsAfterFinished: 86400 });
    const [pod] = await podsOf(identifier);
    expect(pod?.metadata?.labels).toMatchObject({ 'prefect.io/identifier': identifier, 'prefect.io/flow_run_id': flowRunId });
    expect(pod?.spec?.containers[0]?.command).toEqual([...FLOW_EXECUTE_COMMAND]);
    const env = pod?.spec?.containers[0]?.env ?? [];
    expect(env[0]).toEqual({ name: 'GREETING_PREFIX', value: 'from the job spec' });
    const secretName = `flowenv-auth-${identifier}`;
    expect(env.find((variable) => variable.name === 'PREFECT__CLOUD__AUTH_TOKEN')).toEqual({
      name: 'PREFECT__CLOUD__AUTH_TOKEN',
      valueFrom: { secretKeyRef: { name: secretName, key: 'auth-token' } },
    });
    expect(JSON.stringify(job)).not.toContain(token);
    const secret: V1Secret = await apis.core.readNamespacedSecret({ name: secretName, namespace });
    expect(Buffer.from(secret.data?.['auth-token'] ?? '', 'base64').toString()).toBe(token);
    expect(secret.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'Job', name: handle.id, uid: handle.details['uid'] })]);

    // Deleting the finished run removes the Job, its pod and (through its owner) its Secret.
    await handle.cancel();
    expect(await readJob(handle.id)).toBeUndefined();
    expect(await podsOf(identifier)).toEqual([]);
    await until('the Secret to be garbage-collected', async () =>
      apis.core.readNamespacedSecret({ name: secretName, namespace }).then(() => undefined, (error: { code?: number }) => (error.code === 404 ? true : undefined)));
  });

  it('a failing task fails the Job, and wait() says why with the last log lines', async () => {
    const handle = await run(flowEnvironment(), { fail: true });
    const outcome = await handle.wait();
    expect(outcome.state).toBe('Failed');
    expect(outcome.reason).toMatch(/^BackoffLimitExceeded: Job has reached the specified backoff limit; pod e2e-flow-[0-9a-f]{8}-[a-z0-9]{5}: Error: container flow exited with code 1$/);
    expect(outcome.logTail?.some((line) => line.includes('Error: the report task failed on purpose'))).toBe(true);
    expect(outcome.logTail?.at(-1)).toMatch(/^Flow "k8s-hello": Failed in \d+ ms — 7 Success, 1 Failed$/);
    const job = await readJob(handle.id);
    expect(job?.status?.conditions?.some((condition) => condition.type === 'Failed' && condition.status === 'True')).toBe(true);
  });

  it('a run over its memory limit is reported as OOMKilled', async () => {
    const handle = await run(flowEnvironment(), { allocateMb: 600 });
    const outcome = await handle.wait();
    expect(outcome.state).toBe('Failed');
    expect(outcome.reason).toMatch(
      /^BackoffLimitExceeded: Job has reached the specified backoff limit; pod e2e-flow-[0-9a-f]{8}-[a-z0-9]{5}: OOMKilled: container flow was killed for using more memory than its limit \(exit code 137\); raise resources.limits.memory in the job spec$/,
    );
  });

  it('a missing image is reported as ImagePullBackOff within the stuck timeout, and the Job is removed', async () => {
    const missing = { ...storage, type: storage.type, name: `${registry.FLOWENV_REGISTRY_URL}/e2e/k8s-missing-${suffix}:1` } as unknown as DockerStorage;
    const started = Date.now();
    const handle = await environment({ stuckTimeoutSeconds: 8 }).execute(missing, location, { runContext: { namespace } });
    handles.push(handle);
    const outcome = await handle.wait();
    const elapsed = Date.now() - started;
    expect(outcome.state).toBe('Failed');
    expect(outcome.reason).toMatch(new RegExp(`^(ImagePullBackOff|ErrImagePull): .*k8s-missing-${suffix}:1.* \\(pod e2e-flow-[0-9a-f]{8}-[a-z0-9]{5}, stuck for \\d+ s\\)$`));
    expect(elapsed).toBeGreaterThanOrEqual(8_000);
    expect(elapsed).toBeLessThan(30_000);
    await until('the stuck Job to be deleted', async () => ((await readJob(handle.id)) === undefined ? true : undefined));
  });

  it('a Job that cannot create its pod is reported with the reason from its events, and removed', async () => {
    const handle = await run(environment({ stuckTimeoutSeconds: 5, jobSpecFile: join(repositoryRoot, 'e2e', 'src', 'fixtures', 'k8s-no-service-account-job.yaml') }));
    const outcome = await handle.wait();
    expect(outcome.state).toBe('Failed');
    expect(outcome.reason).toMatch(/^NoPodCreated: the Job created no pod in \d+ s \(.*\); last event: FailedCreate: .*serviceaccount "does-not-exist" not found/);
    await until('the Job to be deleted', async () => ((await readJob(handle.id)) === undefined ? true : undefined));
  });

  it('cancel() mid-run deletes the Job and its pods, and wait() reports Cancelled', async () => {
    const handle = await run(flowEnvironment(), { sleepMs: 120_000 });
    const identifier = handle.details['identifier'] as string;
    const waiting = handle.wait();
    // Running: the flow has printed its first line.
    for await (const line of handle.logs({ follow: true })) {
      if (line.startsWith('sleeping')) break;
    }
    const cancelStarted = Date.now();
    await handle.cancel();
    expect(Date.now() - cancelStarted).toBeLessThan(60_000);
    expect(await readJob(handle.id)).toBeUndefined();
    expect(await podsOf(identifier)).toEqual([]);
    expect(await waiting).toEqual({ state: 'Cancelled', reason: 'cancelled with cancel(): the Job and its pods were deleted' });
  });

  it("turns the API server's refusals into errors that say what to do", async () => {
    // 409: a fixed name used twice.
    const fixed = environment({ uniqueJobName: false });
    await run(fixed);
    const conflict = await rejectionOf(run(fixed));
    expect(conflict.code).toBe('K8S_CONFLICT');
    expect(conflict.message).toContain(`A Job named "e2e-flow" already exists in namespace "${namespace}": set \`uniqueJobName: true\``);

    // 422: the server's field causes, quoted.
    const invalid = await rejectionOf(run(environment({ jobSpecFile: join(repositoryRoot, 'e2e', 'src', 'fixtures', 'k8s-invalid-job.yaml') })));
    expect(invalid.code).toBe('K8S_INVALID');
    expect(invalid.message).toContain('spec.activeDeadlineSeconds: Invalid value: -5');

    // 404: a namespace that does not exist.
    const nowhere = await rejectionOf(environment({ namespace: `no-such-namespace-${suffix}` }).execute(storage, location));
    expect(nowhere.code).toBe('K8S_NOT_FOUND');
    expect(nowhere.message).toBe(`Namespace "no-such-namespace-${suffix}" does not exist: create it, or pass \`namespace\` (or set PREFECT__CONTEXT__NAMESPACE) to use another one`);

    // 403: an identity without the rights names the verb and resource to grant.
    const readOnly = await serviceAccountKubeConfig(apis, namespace, 'read-only', [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list'] }]);
    const forbidden = await rejectionOf(environment({ kubeConfig: readOnly }).execute(storage, location));
    expect(forbidden.code).toBe('K8S_FORBIDDEN');
    expect(forbidden.message).toContain(`Not allowed to create jobs in namespace "${namespace}"`);
    expect(forbidden.message).toContain('Grant the verb "create" on resource "jobs" in API group "batch"');
  });

  it("runs, follows and cancels with exactly the README's RBAC rules", async () => {
    const agent = await serviceAccountKubeConfig(apis, namespace, 'flowenv-agent', [
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['events'], verbs: ['list'] },
    ]);
    process.env['PREFECT__CLOUD__AUTH_TOKEN'] = `e2e-token-${randomUUID()}`;
    let handle: RunHandle;
    try {
      handle = await run(environment({ kubeConfig: agent }), { who: 'RBAC' });
    } finally {
      delete process.env['PREFECT__CLOUD__AUTH_TOKEN'];
    }
    const [lines, outcome] = await Promise.all([collect(handle.logs({ follow: true })), handle.wait()]);
    expect(outcome).toEqual({ state: 'Success' });
    expect(lines).toContain('HELLO, RBAC! (9 letters)');
    await handle.cancel();
    expect(await readJob(handle.id)).toBeUndefined();
  });

  it('leaves a finished run to ttlSecondsAfterFinished when the spec asks for a short one', async () => {
    const shortLived = environment({ jobSpecFile: join(repositoryRoot, 'e2e', 'src', 'fixtures', 'k8s-short-ttl-job.yaml') });
    process.env['PREFECT__CLOUD__AUTH_TOKEN'] = `e2e-token-${randomUUID()}`;
    let handle: RunHandle;
    try {
      handle = await shortLived.execute(storage, location, { runContext: { namespace } });
    } finally {
      delete process.env['PREFECT__CLOUD__AUTH_TOKEN'];
    }
    expect(await handle.wait()).toEqual({ state: 'Success' });
    const identifier = handle.details['identifier'] as string;
    await until('the TTL controller to delete the Job, its pod and its Secret', async () =>
      (await objectsWithLabel(apis, namespace, `prefect.io/identifier=${identifier}`)).length === 0 ? true : undefined, 60_000, 500);
  });
});
