// One PodWorker per pod bound to the test node: it runs the pod's containers in Docker and reports
// their state back through pods/status, following the kubelet's rules where a test can see them.
//
// Lifecycle: prepare volumes → init containers one by one (a failing one fails the pod) → all main
// containers at once → phase from the containers (kubelet's getPhase): any waiting → Pending, any
// running → Running, all terminated → Succeeded if every exit code is 0, else Failed.
//
// restartPolicy: every policy is run as Never. Jobs here use Never; OnFailure (allowed for Jobs) gives
// a Failed pod instead of an in-place restart, so the job controller makes a new pod and counts it
// against backoffLimit — the Job still ends the same way, only with more pods. Always (bare pods,
// Deployments) is not restarted either: the pod ends Failed/Succeeded. Liveness/readiness/startup
// probes are ignored (a running container is ready).
//
// Deletion (deletionTimestamp set): containers get SIGTERM, then SIGKILL after the grace period
// (docker stop -t), the pod is written in its terminal phase (so the job controller counts it),
// containers are removed, and the pod is deleted with gracePeriodSeconds 0 — the kubelet's final step.
import fs from 'node:fs/promises';
import path from 'node:path';
import { strategicMerge, statusOf, describe, sleep, log } from './kube.mjs';
import { ConfigError, RefReader, resolveEnv, expand, parseQuantity } from './env.mjs';
import { MountError, prepareVolumes, bindsFor } from './volumes.mjs';
import { normalizeImage, registryOf } from './runtime.mjs';

const HOST_IP = '127.0.0.1';
const PULL_BACKOFF_START_MS = 5_000;
const PULL_BACKOFF_MAX_MS = 60_000;
const CONFIG_RETRY_MS = 3_000;

class Stopped extends Error {}

export class PodWorker {
  /**
   * @param {object} ctx { api, runtime, nodeName, stateDir, serviceEnv, registryAuth, caPem, nodeCapacity, events, onFinished }
   * @param {object} pod
   */
  constructor(ctx, pod) {
    this.ctx = ctx;
    this.pod = pod;
    this.uid = pod.metadata.uid;
    this.key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    this.podDir = path.join(ctx.stateDir, 'pods', this.uid);
    this.abort = new AbortController();
    this.stopping = false;
    this.deleting = false;
    /** name → container status record (see blankStatus) */
    this.statuses = new Map();
    this.containerIds = new Set(); // every docker container created/adopted for this pod
    this.transitions = new Map(); // condition type → { status, time }
    this.startTime = pod.status?.startTime ? new Date(pod.status.startTime).toISOString() : new Date().toISOString();
    this.volumesReady = false;
    this.writeState = { writing: false, dirty: false, idle: Promise.resolve() };
    this.finalPhase = null;
  }

  get spec() {
    return this.pod.spec;
  }

  update(pod) {
    this.pod = pod;
    if (pod.metadata.deletionTimestamp && !this.deleting) this.terminate();
  }

  start() {
    const phase = this.pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      // Finished before this agent (re)started: nothing to run; containers stay for logs until deletion.
      this.finalPhase = phase;
      this.running = Promise.resolve();
    } else {
      this.running = this.run().catch((err) => {
        if (!(err instanceof Stopped)) log(`pod ${this.key}: worker failed: ${err.stack ?? err}`);
      });
    }
    if (this.pod.metadata.deletionTimestamp) this.terminate();
  }

  // ------------------------------------------------------------------------------------------ run

  async run() {
    for (const c of this.spec.initContainers ?? []) this.statuses.set(c.name, this.blankStatus(c, true));
    for (const c of this.spec.containers) this.statuses.set(c.name, this.blankStatus(c, false));
    const adopted = await this.adopt();
    this.writeStatus();

    this.volumes = await this.retrying('volumes', () =>
      prepareVolumes({
        api: this.ctx.api,
        pod: this.pod,
        podDir: this.podDir,
        hostIP: HOST_IP,
        nodeCapacity: this.ctx.nodeCapacity,
        caPem: this.ctx.caPem,
      }),
    );
    this.volumesReady = true;
    this.writeStatus();

    for (const c of this.spec.initContainers ?? []) {
      const result = await this.runContainer(c, adopted.get(c.name));
      if (result.exitCode !== 0) {
        log(`pod ${this.key}: init container ${c.name} failed (exit ${result.exitCode}): pod Failed`);
        this.finish();
        return;
      }
    }
    // allSettled: when the pod is being deleted, every container's end must be recorded before the
    // final status is written, even if another container was still waiting for its image.
    const results = await Promise.allSettled(this.spec.containers.map((c) => this.runContainer(c, adopted.get(c.name))));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    this.finish();
  }

  finish() {
    this.finalPhase = this.phase();
    log(`pod ${this.key}: ${this.finalPhase}`);
    this.writeStatus();
  }

  blankStatus(c, init) {
    return {
      name: c.name,
      init,
      image: c.image,
      imageID: '',
      containerID: undefined,
      state: { waiting: { reason: init ? 'PodInitializing' : 'ContainerCreating' } },
      ready: false,
      started: false,
      restartCount: 0,
      exitCode: undefined,
    };
  }

  /** Containers from an earlier agent run are taken over, not recreated (a Job's pod must not run twice). */
  async adopt() {
    const adopted = new Map();
    for (const info of await this.ctx.runtime.containersOf(this.uid)) {
      const name = info.Labels['flowenv.test-node.container'];
      if (!adopted.has(name)) adopted.set(name, info.Id); // newest first
      this.containerIds.add(info.Id);
    }
    // A container the API says was started but Docker no longer has: it cannot be run again.
    for (const cs of [...(this.pod.status?.initContainerStatuses ?? []), ...(this.pod.status?.containerStatuses ?? [])]) {
      if (cs.containerID && !adopted.has(cs.name)) adopted.set(cs.name, null);
    }
    if (adopted.size) log(`pod ${this.key}: adopted ${[...adopted.values()].filter(Boolean).length} existing container(s)`);
    return adopted;
  }

  /** Runs FN until it succeeds; Config/Mount errors set the waiting reason of every unstarted container. */
  async retrying(what, fn, containerName) {
    for (;;) {
      this.checkStopped();
      try {
        return await fn();
      } catch (err) {
        if (err instanceof Stopped) throw err;
        const reason =
          err instanceof ConfigError ? 'CreateContainerConfigError' : err instanceof MountError ? 'ContainerCreating' : 'CreateContainerError';
        const message = err instanceof MountError ? `MountVolume.SetUp failed: ${err.message}` : err.message;
        const targets = containerName ? [this.statuses.get(containerName)] : [...this.statuses.values()];
        let changed = false;
        for (const cs of targets) {
          if (!cs.state.waiting) continue;
          if (cs.state.waiting.message !== message) changed = true;
          cs.state = { waiting: { reason, message } };
        }
        if (changed) {
          log(`pod ${this.key}: ${what}${containerName ? ` (${containerName})` : ''}: ${reason}: ${message}`);
          this.ctx.events.record(this.pod, 'Warning', reason === 'ContainerCreating' ? 'FailedMount' : 'Failed', message);
          this.writeStatus();
        }
        await sleep(CONFIG_RETRY_MS, this.abort.signal);
      }
    }
  }

  checkStopped() {
    if (this.stopping) throw new Stopped();
  }

  async pullAuth(image) {
    const host = registryOf(image);
    const refs = new RefReader(this.ctx.api, this.pod.metadata.namespace);
    for (const { name } of this.spec.imagePullSecrets ?? []) {
      let data;
      try {
        data = await refs.get('Secret', name);
      } catch {
        continue;
      }
      if (!data) continue;
      let auths;
      try {
        if (data['.dockerconfigjson']) auths = JSON.parse(data['.dockerconfigjson'].toString()).auths;
        else if (data['.dockercfg']) auths = JSON.parse(data['.dockercfg'].toString());
      } catch {
        continue;
      }
      for (const [server, entry] of Object.entries(auths ?? {})) {
        if (server.replace(/^https?:\/\//, '').replace(/\/.*$/, '') !== host) continue;
        let { username, password } = entry;
        if (!username && entry.auth) [username, password] = Buffer.from(entry.auth, 'base64').toString().split(/:(.*)/s);
        return { username, password, serveraddress: host };
      }
    }
    const reg = this.ctx.registryAuth;
    if (reg && reg.serveraddress === host) return reg;
    return undefined;
  }

  /** Makes IMAGE present according to the pull policy; waits (ErrImagePull ⇄ ImagePullBackOff) until it is. */
  async ensureImage(c, cs) {
    const image = normalizeImage(c.image);
    const policy = c.imagePullPolicy ?? (/:latest$/.test(image) ? 'Always' : 'IfNotPresent');
    let backoff = PULL_BACKOFF_START_MS;
    for (;;) {
      this.checkStopped();
      const present = await this.ctx.runtime.inspectImage(image);
      if (present && policy !== 'Always') return present;
      if (policy === 'Never') {
        cs.state = {
          waiting: { reason: 'ErrImageNeverPull', message: `Container image "${c.image}" is not present with pull policy of Never` },
        };
        this.writeStatus();
        await sleep(CONFIG_RETRY_MS, this.abort.signal);
        continue;
      }
      const t0 = Date.now();
      try {
        this.ctx.events.record(this.pod, 'Normal', 'Pulling', `Pulling image "${c.image}"`);
        await this.ctx.runtime.pull(image, await this.pullAuth(image));
        const inspected = await this.ctx.runtime.inspectImage(image);
        if (!inspected) throw new Error(`image ${image} not present after a successful pull`);
        log(`pod ${this.key}: pulled ${image} in ${Date.now() - t0} ms`);
        this.ctx.events.record(this.pod, 'Normal', 'Pulled', `Successfully pulled image "${c.image}" in ${Date.now() - t0}ms`);
        return inspected;
      } catch (err) {
        if (this.stopping) throw new Stopped();
        const message = `failed to pull image "${c.image}": ${String(err.json?.message ?? err.message).trim()}`;
        log(`pod ${this.key}: ${c.name}: ErrImagePull: ${message}; retry in ${backoff / 1000}s`);
        this.ctx.events.record(this.pod, 'Warning', 'Failed', message);
        cs.state = { waiting: { reason: 'ErrImagePull', message } };
        this.writeStatus();
        // The kubelet reports ErrImagePull for the attempt, then ImagePullBackOff while it waits.
        await sleep(1000, this.abort.signal);
        this.checkStopped();
        cs.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}": ErrImagePull: ${message}` } };
        this.writeStatus();
        await sleep(backoff, this.abort.signal);
        backoff = Math.min(backoff * 2, PULL_BACKOFF_MAX_MS);
      }
    }
  }

  async containerConfig(c, imageInfo) {
    const env = await resolveEnv({
      api: this.ctx.api,
      pod: this.pod,
      container: c,
      serviceEnv: this.ctx.serviceEnv,
      hostIP: HOST_IP,
      nodeCapacity: this.ctx.nodeCapacity,
    });
    const envMap = new Map(env);
    // With host networking the container's hostname is the machine's; a pod's HOSTNAME is its name.
    if (!envMap.has('HOSTNAME')) env.unshift(['HOSTNAME', this.pod.metadata.name]);
    const lookup = (name) => envMap.get(name);
    const binds = bindsFor(this.pod, c, this.volumes);
    const limits = c.resources?.limits ?? {};
    const memory = parseQuantity(limits.memory);
    const cpu = parseQuantity(limits.cpu);
    const sc = { ...(this.spec.securityContext ?? {}), ...(c.securityContext ?? {}) };
    const user = sc.runAsUser !== undefined ? `${sc.runAsUser}${sc.runAsGroup !== undefined ? `:${sc.runAsGroup}` : ''}` : undefined;
    const { namespace, name: podName } = this.pod.metadata;
    return {
      // The name dockershim used: k8s_<container>_<pod>_<namespace>_<uid>_<attempt>
      name: `k8s_${c.name}_${podName}_${namespace}_${this.uid}_0`,
      Image: imageInfo.Id,
      // Kubernetes command/args are Docker's Entrypoint/Cmd, with the same override rules: a command
      // without args drops the image's Cmd (Docker does that when Entrypoint is set).
      Entrypoint: c.command?.map((s) => expand(s, lookup)),
      Cmd: c.args?.map((s) => expand(s, lookup)),
      Env: env.map(([k, v]) => `${k}=${v}`),
      WorkingDir: c.workingDir,
      User: user,
      Tty: Boolean(c.tty),
      OpenStdin: false,
      Labels: this.ctx.runtime.labelsFor(this.pod, c.name),
      HostConfig: {
        NetworkMode: 'host', // the test engine has no bridge; 127.0.0.1 is the host (and the API server)
        Binds: binds,
        Memory: memory ? Math.floor(memory) : undefined,
        MemorySwap: memory ? Math.floor(memory) : undefined, // no swap beyond the limit: OOMKilled, as on a node
        NanoCpus: cpu ? Math.round(cpu * 1e9) : undefined,
        Privileged: Boolean(sc.privileged),
        ReadonlyRootfs: Boolean(sc.readOnlyRootFilesystem),
        RestartPolicy: { Name: 'no' },
      },
    };
  }

  /** Runs one container to its end (or adopts an existing one); returns its status record. */
  async runContainer(c, adoptedId) {
    const cs = this.statuses.get(c.name);
    if (adoptedId === null) {
      // It ran under an earlier agent and Docker lost it: report it, do not run it again.
      Object.assign(cs, {
        exitCode: 137,
        state: {
          terminated: {
            exitCode: 137,
            reason: 'ContainerStatusUnknown',
            message: 'The container could not be located when the pod was terminated',
          },
        },
      });
      this.writeStatus();
      return cs;
    }
    let id = adoptedId;
    if (!id) {
      cs.state = { waiting: { reason: cs.init ? 'PodInitializing' : 'ContainerCreating' } };
      this.writeStatus();
      const imageInfo = await this.ensureImage(c, cs);
      const config = await this.retrying('container config', () => this.containerConfig(c, imageInfo), c.name);
      cs.imageID = imageIdOf(imageInfo, c.image);
      this.checkStopped();
      const docker = this.ctx.runtime.docker;
      let container;
      try {
        await this.ctx.runtime.remove(config.name).catch(() => {}); // a leftover of a half-finished start
        container = await docker.createContainer(config);
      } catch (err) {
        return this.startFailed(cs, c, null, `failed to create container: ${err.json?.message ?? err.message}`);
      }
      id = container.id;
      this.containerIds.add(id);
      if (this.stopping) throw new Stopped();
      try {
        await container.start();
      } catch (err) {
        return this.startFailed(cs, c, id, err.json?.message ?? err.message);
      }
      // Deleted while it was starting: terminate() took its list of containers before this one existed.
      if (this.stopping) this.ctx.runtime.stop(id, this.graceSeconds()).catch(() => {});
      log(`pod ${this.key}: started ${c.name} (${id.slice(0, 12)}, ${c.image})`);
      this.ctx.events.record(this.pod, 'Normal', 'Started', `Started container ${c.name}`);
    }

    const container = this.ctx.runtime.docker.getContainer(id);
    let info = await container.inspect();
    if (info.State.Status === 'created' && !this.stopping) {
      // Adopted before it was started (the agent stopped between create and start).
      try {
        await container.start();
        info = await container.inspect();
      } catch (err) {
        return this.startFailed(cs, c, id, err.json?.message ?? err.message);
      }
    }
    if (info.State.Status === 'created' && this.stopping) throw new Stopped(); // never ran
    cs.containerID = `docker://${id}`;
    if (!cs.imageID) cs.imageID = imageIdOf(await this.ctx.runtime.inspectImage(info.Image).catch(() => null), c.image);
    if (info.State.Running) {
      cs.state = { running: { startedAt: info.State.StartedAt } };
      cs.started = true;
      cs.ready = !cs.init;
      this.writeStatus();
      await container.wait().catch(() => {});
      info = await container.inspect();
    }
    const st = info.State;
    const exitCode = st.ExitCode;
    const reason = st.OOMKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
    Object.assign(cs, {
      exitCode,
      ready: cs.init && exitCode === 0, // a completed init container reports ready, as the kubelet's do
      started: false,
      state: {
        terminated: {
          exitCode,
          reason,
          ...(st.Error ? { message: st.Error } : {}),
          startedAt: st.StartedAt,
          finishedAt: st.FinishedAt,
          containerID: `docker://${id}`,
        },
      },
    });
    log(`pod ${this.key}: ${c.name} exited ${exitCode} (${reason})`);
    this.writeStatus();
    return cs;
  }

  async startFailed(cs, c, id, message) {
    let exitCode = 128;
    let startedAt;
    let finishedAt = new Date().toISOString();
    if (id) {
      try {
        const st = (await this.ctx.runtime.docker.getContainer(id).inspect()).State;
        exitCode = st.ExitCode || 128;
        finishedAt = st.FinishedAt?.startsWith('0001') ? finishedAt : st.FinishedAt;
        startedAt = st.StartedAt?.startsWith('0001') ? undefined : st.StartedAt;
      } catch {
        /* gone */
      }
      cs.containerID = `docker://${id}`;
    }
    Object.assign(cs, {
      exitCode,
      state: {
        terminated: { exitCode, reason: 'StartError', message, startedAt: startedAt ?? finishedAt, finishedAt, containerID: cs.containerID },
      },
    });
    log(`pod ${this.key}: ${c.name} could not start: ${message}`);
    this.ctx.events.record(this.pod, 'Warning', 'Failed', `Error: ${message}`);
    this.writeStatus();
    return cs;
  }

  // -------------------------------------------------------------------------------------- status

  phase() {
    const all = [...this.statuses.values()];
    const init = all.filter((s) => s.init);
    const main = all.filter((s) => !s.init);
    if (init.some((s) => s.state.terminated && s.state.terminated.exitCode !== 0)) return 'Failed';
    if (init.some((s) => !s.state.terminated)) return 'Pending';
    if (main.some((s) => s.state.waiting)) return 'Pending';
    if (main.some((s) => s.state.running)) return 'Running';
    return main.every((s) => s.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
  }

  condition(type, status, reason, message) {
    const prev = this.transitions.get(type);
    if (!prev || prev.status !== status) this.transitions.set(type, { status, time: new Date().toISOString() });
    return {
      type,
      status,
      ...(reason ? { reason } : { reason: null }),
      ...(message ? { message } : { message: null }),
      lastProbeTime: null,
      lastTransitionTime: this.transitions.get(type).time,
    };
  }

  buildStatus() {
    const phase = this.finalPhase ?? this.phase();
    const all = [...this.statuses.values()];
    const init = all.filter((s) => s.init);
    const main = all.filter((s) => !s.init);
    const terminal = phase === 'Succeeded' || phase === 'Failed';
    const initPending = init.filter((s) => !(s.state.terminated?.exitCode === 0)).map((s) => s.name);
    const unready = main.filter((s) => !s.ready).map((s) => s.name);
    const conditions = [
      this.condition('PodReadyToStartContainers', this.volumesReady && !terminal ? 'True' : 'False'),
      initPending.length && !terminal
        ? this.condition('Initialized', 'False', 'ContainersNotInitialized', `containers with incomplete status: [${initPending.join(' ')}]`)
        : this.condition('Initialized', 'True'),
      terminal
        ? this.condition('Ready', 'False', 'PodCompleted')
        : unready.length
          ? this.condition('Ready', 'False', 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`)
          : this.condition('Ready', 'True'),
      terminal
        ? this.condition('ContainersReady', 'False', 'PodCompleted')
        : unready.length
          ? this.condition('ContainersReady', 'False', 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`)
          : this.condition('ContainersReady', 'True'),
    ];
    const toApi = (s) => ({
      name: s.name,
      state: s.state,
      lastState: {},
      ready: s.ready,
      restartCount: s.restartCount,
      image: s.image,
      imageID: s.imageID ?? '',
      ...(s.containerID ? { containerID: s.containerID } : {}),
      started: s.started,
    });
    return {
      phase,
      conditions,
      hostIP: HOST_IP,
      hostIPs: [{ ip: HOST_IP }],
      podIP: HOST_IP,
      podIPs: [{ ip: HOST_IP }],
      startTime: this.startTime,
      ...(init.length ? { initContainerStatuses: init.map(toApi) } : {}),
      containerStatuses: main.map(toApi),
    };
  }

  /** Coalescing writer: at most one pods/status request in flight; the latest state always lands. */
  writeStatus() {
    const ws = this.writeState;
    ws.dirty = true;
    if (ws.writing) return ws.idle;
    ws.writing = true;
    ws.idle = (async () => {
      while (ws.dirty) {
        ws.dirty = false;
        const status = this.buildStatus();
        for (let attempt = 0; ; attempt++) {
          try {
            await this.ctx.api.core.patchNamespacedPodStatus(
              {
                name: this.pod.metadata.name,
                namespace: this.pod.metadata.namespace,
                body: { metadata: { uid: this.uid }, status },
              },
              strategicMerge,
            );
            break;
          } catch (err) {
            const code = statusOf(err);
            if (code === 404 || code === 409 || code === 422 || attempt >= 4) {
              if (code !== 404) log(`pod ${this.key}: status write failed: ${describe(err)}`);
              break;
            }
            await sleep(200 * (attempt + 1));
          }
        }
      }
      ws.writing = false;
    })();
    return ws.idle;
  }

  // ------------------------------------------------------------------------------------ deletion

  graceSeconds() {
    return this.pod.metadata.deletionGracePeriodSeconds ?? this.spec.terminationGracePeriodSeconds ?? 30;
  }

  /** deletionTimestamp seen: stop containers within the grace period, report, clean up, delete. */
  terminate() {
    if (this.deleting) return this.deleted;
    this.deleting = true;
    this.deleted = (async () => {
      const grace = this.graceSeconds();
      const wasTerminal = this.finalPhase !== null;
      this.stopping = true;
      this.abort.abort();
      const ids = [...this.containerIds];
      if (!wasTerminal) {
        log(`pod ${this.key}: deletion requested: stopping ${ids.length} container(s) (grace ${grace}s)`);
        if (ids.length) this.ctx.events.record(this.pod, 'Normal', 'Killing', `Stopping container(s) with grace period ${grace}s`);
      }
      await Promise.all(ids.map((id) => this.ctx.runtime.stop(id, grace).catch((err) => log(`docker stop failed: ${err.message}`))));
      await this.running; // the container waits return; the run ends
      if (!wasTerminal) {
        // Containers that never started end as "unknown", so the pod has a terminal phase to report.
        for (const cs of this.statuses.values()) {
          if (cs.state.terminated) continue;
          cs.exitCode = 137;
          cs.ready = false;
          cs.started = false;
          cs.state = {
            terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container was not running when the pod was deleted' },
          };
        }
        this.finalPhase = this.statuses.size ? this.phase() : 'Failed';
        this.writeStatus();
        await this.writeState.idle;
      }
      await this.cleanup();
      try {
        await this.ctx.api.core.deleteNamespacedPod({
          name: this.pod.metadata.name,
          namespace: this.pod.metadata.namespace,
          gracePeriodSeconds: 0,
          body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } },
        });
        log(`pod ${this.key}: containers removed, pod deleted (grace 0)`);
      } catch (err) {
        if (statusOf(err) !== 404 && statusOf(err) !== 409) log(`pod ${this.key}: delete failed: ${describe(err)}`);
      }
    })();
    return this.deleted;
  }

  /** The pod object is gone from the API (force-deleted, or our own delete went through). */
  async gone() {
    if (this.deleting) {
      await this.deleted;
      return;
    }
    this.deleting = true;
    this.stopping = true;
    this.abort.abort();
    const grace = Math.min(this.spec.terminationGracePeriodSeconds ?? 30, 5);
    await Promise.all([...this.containerIds].map((id) => this.ctx.runtime.stop(id, grace).catch(() => {})));
    await this.running;
    await this.cleanup();
    log(`pod ${this.key}: gone from the API: containers removed`);
  }

  async cleanup() {
    for (const info of await this.ctx.runtime.containersOf(this.uid).catch(() => [])) this.containerIds.add(info.Id);
    await Promise.all([...this.containerIds].map((id) => this.ctx.runtime.remove(id).catch(() => {})));
    await fs.rm(this.podDir, { recursive: true, force: true }).catch(() => {});
  }
}

function imageIdOf(info, specImage) {
  if (!info) return '';
  const repo = normalizeImage(specImage).replace(/[:@][^:/@]*$/, '');
  const digest = (info.RepoDigests ?? []).find((d) => d.startsWith(`${repo}@`)) ?? info.RepoDigests?.[0];
  return digest ? `docker-pullable://${digest}` : `docker://${info.Id}`;
}
