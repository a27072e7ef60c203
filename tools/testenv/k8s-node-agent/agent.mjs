#!/usr/bin/env node
// flowenv test node agent: stands in for the kubelet (and the scheduler) of the test Kubernetes
// control plane started by tools/testenv/services/k8s.sh, running pods' containers in the test Docker
// engine. Started and stopped by tools/testenv/services/k8s-node.sh; see README.md in this folder.
//
// What it does, and which module does it:
//   node.mjs            registers Node <name> (Ready, capacity, InternalIP 127.0.0.1, kubelet port) and heartbeats
//   podwatch.mjs        list+watch of all pods that resumes after disconnects and relists on 410
//   scheduler.mjs       binds pending pods that fit the node (nodeSelector, affinity, taints), else Unschedulable
//   podworker.mjs       per bound pod: image pull, env, volumes, docker create/start/wait, pods/status, deletion
//   env.mjs, volumes.mjs env and volume resolution as the kubelet does (secret/configMap refs, SA token…)
//   kubelet-server.mjs  HTTPS /containerLogs for the API server's pods/log proxy
//   runtime.mjs         dockerode helpers and the labels that tie containers to pods
//
// Environment: KUBECONFIG (an identity allowed to bind pods, write pod/node status, request SA tokens:
// the admin kubeconfig), DOCKER_HOST, FLOWENV_REGISTRY_URL/USERNAME/PASSWORD (pull credentials for the
// local registry), FLOWENV_K8S_NODE_NAME (default flowenv-test-node), FLOWENV_K8S_NODE_KUBELET_PORT
// (default 16250), FLOWENV_K8S_NODE_STATE (folder for pod volumes), FLOWENV_K8S_NODE_TLS_CERT/KEY
// (PEM files for the kubelet endpoint), FLOWENV_K8S_NODE_LABELS (extra node labels, k=v,k=v).
import fs from 'node:fs';
import path from 'node:path';
import { connect, log, describe } from './kube.mjs';
import { NodeRegistration } from './node.mjs';
import { PodWatch } from './podwatch.mjs';
import { Scheduler } from './scheduler.mjs';
import { PodWorker } from './podworker.mjs';
import { Runtime, dockerFromEnv, LABEL_POD_UID } from './runtime.mjs';
import { EventRecorder } from './events.mjs';
import { startKubeletServer } from './kubelet-server.mjs';

const env = process.env;
const need = (name) => env[name] || (console.error(`k8s-node agent: ${name} is not set`), process.exit(2));

const nodeName = env.FLOWENV_K8S_NODE_NAME || 'flowenv-test-node';
const kubeletPort = Number(env.FLOWENV_K8S_NODE_KUBELET_PORT || 16250);
const stateDir = path.resolve(need('FLOWENV_K8S_NODE_STATE'));
const extraLabels = Object.fromEntries(
  (env.FLOWENV_K8S_NODE_LABELS || '')
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);

const api = connect(need('KUBECONFIG'));
const docker = dockerFromEnv(env.DOCKER_HOST);
const runtime = new Runtime(docker, nodeName);
const events = new EventRecorder(api, nodeName);

// What the kubelet derives from the `kubernetes` Service; here the API server itself, reachable at
// 127.0.0.1 from containers because they share the host's network. rest.InClusterConfig() and
// @kubernetes/client-node's loadFromCluster() read KUBERNETES_SERVICE_HOST/PORT.
const server = new URL(api.server);
const apiHost = server.hostname;
const apiPort = server.port || '443';
const serviceEnv = {
  KUBERNETES_SERVICE_HOST: apiHost,
  KUBERNETES_SERVICE_PORT: apiPort,
  KUBERNETES_SERVICE_PORT_HTTPS: apiPort,
  KUBERNETES_PORT: `tcp://${apiHost}:${apiPort}`,
  [`KUBERNETES_PORT_${apiPort}_TCP`]: `tcp://${apiHost}:${apiPort}`,
  [`KUBERNETES_PORT_${apiPort}_TCP_PROTO`]: 'tcp',
  [`KUBERNETES_PORT_${apiPort}_TCP_PORT`]: apiPort,
  [`KUBERNETES_PORT_${apiPort}_TCP_ADDR`]: apiHost,
};

const registryAuth = env.FLOWENV_REGISTRY_URL
  ? {
      username: env.FLOWENV_REGISTRY_USERNAME,
      password: env.FLOWENV_REGISTRY_PASSWORD,
      serveraddress: env.FLOWENV_REGISTRY_URL.replace(/^https?:\/\//, '').replace(/\/.*$/, ''),
    }
  : undefined;

/** uid → PodWorker, for every pod bound to this node that still exists. */
const workers = new Map();
let watch;

async function main() {
  fs.mkdirSync(path.join(stateDir, 'pods'), { recursive: true });
  let runtimeVersion;
  try {
    runtimeVersion = await runtime.version();
  } catch (err) {
    throw new Error(`the Docker engine at ${env.DOCKER_HOST || '/var/run/docker.sock'} does not answer: ${err.message}`);
  }

  const kubelet = await startKubeletServer({
    port: kubeletPort,
    cert: fs.readFileSync(need('FLOWENV_K8S_NODE_TLS_CERT')),
    key: fs.readFileSync(need('FLOWENV_K8S_NODE_TLS_KEY')),
    runtime,
    pods: (namespace, name) =>
      [...(watch?.known.values() ?? [])].find((p) => p.metadata.namespace === namespace && p.metadata.name === name),
  });

  const registration = new NodeRegistration(api, { name: nodeName, kubeletPort, extraLabels, runtimeVersion });
  await registration.register();
  const scheduler = new Scheduler(api, registration, events);

  const ctx = {
    api,
    runtime,
    nodeName,
    stateDir,
    serviceEnv,
    registryAuth,
    caPem: api.caPem,
    events,
    get nodeCapacity() {
      return registration.current?.status?.capacity ?? registration.status().capacity;
    },
  };

  const onEvent = (type, pod) => {
    scheduler.onPod(type, pod);
    if (pod.spec?.nodeName !== nodeName) return;
    const uid = pod.metadata.uid;
    let worker = workers.get(uid);
    if (type === 'DELETED') {
      if (worker) {
        worker.gone().finally(() => workers.delete(uid));
      }
      return;
    }
    if (worker) {
      worker.update(pod);
      return;
    }
    worker = new PodWorker(ctx, pod);
    workers.set(uid, worker);
    if (!pod.status?.phase || pod.status.phase === 'Pending') log(`pod ${worker.key}: accepted (uid ${uid})`);
    worker.start();
  };

  // After every (re)list: containers whose pod no longer exists are removed (this also cleans up
  // after an agent that was stopped while pods were deleted).
  const onRelist = (pods) => {
    const live = new Set(pods.map((p) => p.metadata.uid));
    reconcile(live).catch((err) => log(`reconcile failed: ${err.message}`));
  };

  watch = new PodWatch(api, onEvent, onRelist);
  await watch.start();
  log(`node ${nodeName} ready: watching pods (${workers.size} already bound here)`);
  // Tells services/k8s-node.sh that *this* process is serving (a Ready node alone could be a stale
  // heartbeat of a previous agent).
  const readyFile = path.join(stateDir, 'agent.ready');
  fs.writeFileSync(readyFile, `${process.pid}\n`);

  const shutdown = (signal) => {
    log(`${signal}: stopping (pods and containers are left as they are)`);
    fs.rmSync(readyFile, { force: true });
    watch.stop();
    scheduler.stop();
    registration.stop();
    kubelet.close();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

async function reconcile(livePodUids) {
  const containers = await runtime.allContainers();
  const orphans = containers.filter((c) => {
    const uid = c.Labels[LABEL_POD_UID];
    return !livePodUids.has(uid) && !workers.has(uid);
  });
  for (const c of orphans) {
    log(`removing container ${c.Id.slice(0, 12)} (${c.Names?.[0] ?? ''}): its pod ${c.Labels[LABEL_POD_UID]} no longer exists`);
    await runtime.stopAndRemove(c.Id, 2);
    fs.rmSync(path.join(stateDir, 'pods', c.Labels[LABEL_POD_UID]), { recursive: true, force: true });
  }
  // Volume folders of pods that are gone (containers already removed).
  for (const uid of fs.readdirSync(path.join(stateDir, 'pods'))) {
    if (!livePodUids.has(uid) && !workers.has(uid)) fs.rmSync(path.join(stateDir, 'pods', uid), { recursive: true, force: true });
  }
}

main().catch((err) => {
  log(`fatal: ${err.message ?? describe(err)}`);
  process.exit(1);
});
