#!/usr/bin/env node
// Smoke test of the test node, through the real API server and the real job controller
// (run by `tools/testenv/services/k8s-node.sh check`; needs docker, registry, k8s and k8s-node up).
//
// It builds a tiny probe image FROM the node base image, pushes it to the local registry and removes
// it locally (so the agent must pull it with the registry credentials), then, in a namespace of its own:
//   ok          Job → Complete; its log (read through the API server) shows env from value, secretKeyRef,
//               fieldRef, KUBERNETES_SERVICE_*, and the API answering the mounted service-account token
//   exit3       Job with backoffLimit 0 whose container exits 3 → Job Failed, exitCode 3 in the pod status
//   bad-image   Job with an image the registry does not have → ImagePullBackOff within 15 s
//   oom         Job with a 16Mi memory limit allocating 100 MB → OOMKilled
//   delete      running Job deleted with propagationPolicy Foreground → its container is removed
//   no-secret   Pod whose env names a missing Secret → CreateContainerConfigError
//   unsched     Pod whose nodeSelector matches no node → PodScheduled=False reason Unschedulable
// Everything it created (namespace, registry manifest, local image) is removed at the end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { KubeConfig, CoreV1Api, BatchV1Api } from '@kubernetes/client-node';
import Docker from 'dockerode';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');

// Settings: the process env (services/k8s-node.sh check exports them) or .testenv/env.
const settings = { ...readEnvFile(path.join(process.env.TESTENV_STATE ?? path.join(repoRoot, '.testenv'), 'env')), ...process.env };
function readEnvFile(file) {
  try {
    return Object.fromEntries(
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  } catch {
    return {};
  }
}
for (const key of ['KUBECONFIG', 'DOCKER_HOST', 'FLOWENV_REGISTRY_URL', 'FLOWENV_REGISTRY_USERNAME', 'FLOWENV_REGISTRY_PASSWORD']) {
  if (!settings[key]) {
    console.error(`smoke: ${key} is not set (bring up docker registry k8s k8s-node first)`);
    process.exit(2);
  }
}
const nodeName = settings.FLOWENV_K8S_NODE || 'flowenv-test-node';
const baseImage = settings.FLOWENV_NODE_BASE_IMAGE || 'flowenv/node-base:20';
const registry = settings.FLOWENV_REGISTRY_URL;
const auth = { username: settings.FLOWENV_REGISTRY_USERNAME, password: settings.FLOWENV_REGISTRY_PASSWORD, serveraddress: registry };

const kc = new KubeConfig();
kc.loadFromFile(settings.KUBECONFIG);
const core = kc.makeApiClient(CoreV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const docker = new Docker({ socketPath: settings.DOCKER_HOST.replace(/^unix:\/\//, '') });

const suffix = crypto.randomBytes(3).toString('hex');
const ns = `flowenv-smoke-${suffix}`;
const repo = `flowenv-smoke/probe`;
const image = `${registry}/${repo}:${suffix}`;
const timings = {};
const results = [];

const say = (m) => console.log(`[smoke ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${m}`);
const started = Date.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, timeoutMs = 60_000) {
  const t0 = Date.now();
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return { value: last, ms: Date.now() - t0 };
    } catch (err) {
      last = err;
    }
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last instanceof Error ? ` (last error: ${last.message.split('\n')[0]})` : ''}`);
    }
    await sleep(150);
  }
}

async function check(name, fn) {
  const t0 = Date.now();
  try {
    const detail = await fn();
    results.push({ name, ok: true, ms: Date.now() - t0, detail });
    say(`PASS ${name}${detail ? `: ${detail}` : ''}`);
  } catch (err) {
    results.push({ name, ok: false, ms: Date.now() - t0, detail: err.message });
    say(`FAIL ${name}: ${err.stack ?? err.message}`);
  }
}

function follow(stream) {
  return new Promise((resolve, reject) =>
    docker.modem.followProgress(stream, (err, events) => {
      if (err) return reject(err);
      const bad = events.find((e) => e.error || e.errorDetail);
      return bad ? reject(new Error(bad.errorDetail?.message ?? bad.error)) : resolve(events);
    }),
  );
}

// -------------------------------------------------------------------------------- probe image

// Reads the mounted service-account files and calls the API server with them, as in-cluster config does.
const PROBE = String.raw`
const fs = require('fs');
const https = require('https');
const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
for (const k of ['FOO', 'FROM_SECRET', 'EXPANDED', 'POD_NAME', 'POD_NAMESPACE', 'POD_UID', 'APP_LABEL', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'HOSTNAME'])
  console.log(k + '=' + process.env[k]);
const token = fs.readFileSync(dir + '/token', 'utf8');
const ca = fs.readFileSync(dir + '/ca.crt');
console.log('namespace-file=' + fs.readFileSync(dir + '/namespace', 'utf8'));
console.log('args=' + JSON.stringify(process.argv.slice(2)));
const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
const req = https.request({
  host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, ca, method: 'POST',
  path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
  headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
}, (res) => {
  let s = ''; res.on('data', (d) => (s += d)); res.on('end', () => {
    if (res.statusCode !== 201) { console.error('selfsubjectreview ' + res.statusCode + ' ' + s); process.exit(1); }
    console.log('whoami=' + JSON.parse(s).status.userInfo.username);
    console.log('SMOKE-PROBE-OK');
  });
});
req.on('error', (e) => { console.error('api error ' + e.message); process.exit(1); });
req.end(body);
`;

async function buildAndPush() {
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'flowenv-smoke-'));
  try {
    fs.writeFileSync(path.join(ctx, 'probe.js'), PROBE);
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${baseImage}\nCOPY probe.js /app/probe.js\nENTRYPOINT ["node", "/app/probe.js"]\n`);
    let t0 = Date.now();
    await follow(await docker.buildImage({ context: ctx, src: ['Dockerfile', 'probe.js'] }, { t: image, rm: true, forcerm: true }));
    timings.build_ms = Date.now() - t0;
    t0 = Date.now();
    await follow(await docker.getImage(image).push({ authconfig: auth }));
    timings.push_ms = Date.now() - t0;
    // Gone locally, so the agent has to pull it from the registry with the credentials.
    await docker.getImage(image).remove();
    say(`built and pushed ${image} (build ${timings.build_ms} ms, push ${timings.push_ms} ms), removed locally`);
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------- helpers

function job(name, container, extra = {}) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: { app: `smoke-${name}` } },
        spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 5, containers: [{ name: 'main', image, ...container }], ...extra },
      },
    },
  };
}

const jobCondition = (j, type) => (j.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

async function podsOf(jobName) {
  return (await core.listNamespacedPod({ namespace: ns, labelSelector: `job-name=${jobName}` })).items;
}

async function onePod(jobName, pred, timeoutMs) {
  return (await waitFor(`a pod of job ${jobName} ${pred.name || ''}`, async () => (await podsOf(jobName)).find(pred), timeoutMs)).value;
}

async function waitJob(name, type, timeoutMs = 60_000) {
  return waitFor(`job ${name} ${type}`, async () => {
    const j = await batch.readNamespacedJob({ name, namespace: ns });
    if (type !== 'Failed' && jobCondition(j, 'Failed')) throw new Error(`job ${name} failed: ${JSON.stringify(j.status.conditions)}`);
    if (type !== 'Complete' && jobCondition(j, 'Complete')) throw new Error(`job ${name} completed`);
    return jobCondition(j, type) && j;
  }, timeoutMs);
}

const containerState = (pod) => pod.status?.containerStatuses?.[0]?.state ?? {};

// --------------------------------------------------------------------------------------- checks

async function checkOk() {
  const t0 = Date.now();
  await batch.createNamespacedJob({
    namespace: ns,
    body: job('ok', {
      args: ['hello', '$(FOO)-x'],
      env: [
        { name: 'FOO', value: 'bar' },
        { name: 'EXPANDED', value: 'foo-is-$(FOO)' },
        { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 'smoke-secret', key: 'token' } } },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
        { name: 'APP_LABEL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      ],
    }),
  });
  await waitJob('ok', 'Complete', 90_000);
  timings.job_create_to_complete_ms = Date.now() - t0;
  const pod = (await podsOf('ok'))[0];
  const cs = pod.status.containerStatuses[0];
  const term = cs.state.terminated;
  if (pod.status.phase !== 'Succeeded' || term?.exitCode !== 0 || term.reason !== 'Completed') {
    throw new Error(`pod status ${pod.status.phase} ${JSON.stringify(cs.state)}`);
  }
  if (!cs.containerID?.startsWith('docker://') || !cs.imageID) throw new Error(`containerID/imageID missing: ${JSON.stringify(cs)}`);
  if (pod.spec.nodeName !== nodeName) throw new Error(`pod ran on ${pod.spec.nodeName}`);
  const t1 = Date.now();
  const text = await core.readNamespacedPodLog({ name: pod.metadata.name, namespace: ns, container: 'main' });
  timings.log_read_ms = Date.now() - t1;
  const expect = [
    'FOO=bar',
    'EXPANDED=foo-is-bar',
    'FROM_SECRET=s3cr3t-value',
    `POD_NAME=${pod.metadata.name}`,
    `POD_NAMESPACE=${ns}`,
    `POD_UID=${pod.metadata.uid}`,
    'APP_LABEL=smoke-ok',
    'KUBERNETES_SERVICE_HOST=127.0.0.1',
    `HOSTNAME=${pod.metadata.name}`,
    `namespace-file=${ns}`,
    'args=["hello","bar-x"]',
    `whoami=system:serviceaccount:${ns}:default`,
    'SMOKE-PROBE-OK',
  ];
  const missing = expect.filter((line) => !text.split('\n').includes(line));
  if (missing.length) throw new Error(`log lacks ${JSON.stringify(missing)}; log was:\n${text}`);
  const tail = await core.readNamespacedPodLog({ name: pod.metadata.name, namespace: ns, container: 'main', tailLines: 1, timestamps: true });
  if (!/^\d{4}-\d\d-\d\dT[\d:.]+Z SMOKE-PROBE-OK\n?$/.test(tail)) throw new Error(`tailLines=1&timestamps=true gave ${JSON.stringify(tail)}`);
  return `Complete in ${timings.job_create_to_complete_ms} ms; logs through the API server (${text.split('\n').length - 1} lines, tail/timestamps ok)`;
}

async function checkExit3() {
  await batch.createNamespacedJob({ namespace: ns, body: job('exit3', { command: ['node', '-e', 'console.log("bye"); process.exit(3)'] }) });
  await waitJob('exit3', 'Failed');
  const pod = (await podsOf('exit3'))[0];
  const term = containerState(pod).terminated;
  if (pod.status.phase !== 'Failed' || term?.exitCode !== 3 || term.reason !== 'Error') throw new Error(`pod ${pod.status.phase} ${JSON.stringify(term)}`);
  return `Job Failed, pod Failed, exitCode ${term.exitCode} reason ${term.reason}`;
}

async function checkBadImage() {
  const t0 = Date.now();
  const missingImage = `${registry}/flowenv-smoke/does-not-exist:${suffix}`;
  await batch.createNamespacedJob({ namespace: ns, body: job('bad-image', { image: missingImage }) });
  const pod = await onePod('bad-image', (p) => containerState(p).waiting?.reason === 'ImagePullBackOff', 15_000);
  timings.image_pull_backoff_ms = Date.now() - t0;
  if (pod.status.phase !== 'Pending') throw new Error(`phase ${pod.status.phase}`);
  return `ImagePullBackOff after ${timings.image_pull_backoff_ms} ms: ${containerState(pod).waiting.message}`;
}

async function checkOom() {
  await batch.createNamespacedJob({
    namespace: ns,
    body: job('oom', {
      command: ['node', '-e', 'const a = []; for (let i = 0; i < 100; i++) a.push(Buffer.alloc(1 << 20, 1)); console.log("survived")'],
      resources: { limits: { memory: '16Mi' } },
    }),
  });
  await waitJob('oom', 'Failed');
  const term = containerState((await podsOf('oom'))[0]).terminated;
  if (term?.reason !== 'OOMKilled') throw new Error(`terminated ${JSON.stringify(term)}`);
  return `OOMKilled, exitCode ${term.exitCode}`;
}

async function checkDelete() {
  await batch.createNamespacedJob({
    namespace: ns,
    body: job('delete', {
      command: ['node', '-e', 'process.on("SIGTERM", () => { console.log("got SIGTERM"); process.exit(0) }); console.log("running"); setInterval(() => {}, 1000)'],
    }),
  });
  const pod = await onePod('delete', (p) => containerState(p).running, 60_000);
  const uid = pod.metadata.uid;
  const ours = async () => docker.listContainers({ all: true, filters: JSON.stringify({ label: [`flowenv.test-node.pod-uid=${uid}`] }) });
  if ((await ours()).length !== 1) throw new Error('no docker container labelled with the pod uid while Running');
  const t0 = Date.now();
  await batch.deleteNamespacedJob({ name: 'delete', namespace: ns, propagationPolicy: 'Foreground' });
  await waitFor('the deleted job to disappear', async () => {
    try {
      await batch.readNamespacedJob({ name: 'delete', namespace: ns });
      return false;
    } catch (err) {
      return err.code === 404;
    }
  });
  timings.foreground_delete_ms = Date.now() - t0;
  await waitFor('its container to be removed', async () => (await ours()).length === 0, 10_000);
  const left = await podsOf('delete');
  if (left.length) throw new Error(`pods left: ${left.map((p) => p.metadata.name)}`);
  return `Job, pod and container gone ${timings.foreground_delete_ms} ms after a Foreground delete`;
}

async function checkMissingSecret() {
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'no-secret' },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image, env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] }],
      },
    },
  });
  const { value } = await waitFor('CreateContainerConfigError', async () => {
    const p = await core.readNamespacedPod({ name: 'no-secret', namespace: ns });
    return containerState(p).waiting?.reason === 'CreateContainerConfigError' && p;
  }, 30_000);
  return `waiting CreateContainerConfigError: ${containerState(value).waiting.message}`;
}

async function checkUnschedulable() {
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'unsched' },
      spec: { restartPolicy: 'Never', nodeSelector: { 'flowenv.dev/no-such-label': 'x' }, containers: [{ name: 'main', image }] },
    },
  });
  const { value } = await waitFor('PodScheduled=False Unschedulable', async () => {
    const p = await core.readNamespacedPod({ name: 'unsched', namespace: ns });
    return (p.status?.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
  }, 15_000);
  return `PodScheduled=False Unschedulable: ${value.message}`;
}

// ------------------------------------------------------------------------------------------ main

async function cleanup() {
  const t0 = Date.now();
  try {
    await core.deleteNamespace({ name: ns });
    await waitFor(`namespace ${ns} to be deleted`, async () => {
      try {
        await core.readNamespace({ name: ns });
        return false;
      } catch (err) {
        return err.code === 404;
      }
    }, 120_000);
  } catch (err) {
    say(`cleanup: namespace: ${err.message}`);
  }
  // The namespace's pods are gone, so the agent removed their containers; check, and remove leftovers.
  const left = (await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`flowenv.test-node.pod-namespace=${ns}`] }) })) ?? [];
  for (const c of left) {
    say(`cleanup: container ${c.Id.slice(0, 12)} was still there: removing`);
    await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
  }
  if (left.length) results.push({ name: 'cleanup', ok: false, detail: `${left.length} container(s) outlived their namespace` });
  // The probe image: the registry manifest, then the pulled copy.
  try {
    const basic = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
    const head = await globalThis.fetch(`http://${registry}/v2/${repo}/manifests/${suffix}`, {
      method: 'HEAD',
      headers: {
        Authorization: `Basic ${basic}`,
        Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
      },
    });
    const digest = head.headers.get('docker-content-digest');
    if (digest) await globalThis.fetch(`http://${registry}/v2/${repo}/manifests/${digest}`, { method: 'DELETE', headers: { Authorization: `Basic ${basic}` } });
  } catch (err) {
    say(`cleanup: registry manifest: ${err.message}`);
  }
  await docker.getImage(image).remove().catch(() => {});
  say(`cleaned up (namespace, containers, registry manifest, image) in ${Date.now() - t0} ms`);
}

async function main() {
  say(`namespace ${ns}, node ${nodeName}, image ${image}`);
  const node = await core.readNode({ name: nodeName });
  if (!(node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')) throw new Error(`node ${nodeName} is not Ready`);
  await core.createNamespace({ body: { metadata: { name: ns, labels: { 'flowenv.dev/smoke': 'true' } } } });
  try {
    await waitFor('the default ServiceAccount', () => core.readNamespacedServiceAccount({ name: 'default', namespace: ns }), 30_000);
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'smoke-secret' }, stringData: { token: 's3cr3t-value' } } });
    await buildAndPush();
    await Promise.all([
      check('job completes, logs via API server, SA token + env', checkOk),
      check('exit code 3 fails the job', checkExit3),
      check('missing image gives ImagePullBackOff', checkBadImage),
      check('memory limit gives OOMKilled', checkOom),
      check('foreground deletion removes the container', checkDelete),
      check('missing secret gives CreateContainerConfigError', checkMissingSecret),
      check('nodeSelector mismatch is Unschedulable', checkUnschedulable),
    ]);
  } finally {
    await cleanup();
  }
  const failed = results.filter((r) => !r.ok);
  console.log(JSON.stringify({ ok: failed.length === 0, timings, results: results.map(({ name, ok, ms }) => ({ name, ok, ms })) }, null, 2));
  process.exit(failed.length ? 1 : 0);
}

main().catch(async (err) => {
  say(`error: ${err.stack ?? err.message}`);
  process.exit(1);
});
