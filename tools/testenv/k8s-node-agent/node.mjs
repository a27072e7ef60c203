// The Node object and its heartbeats.
//
// The node-lifecycle controller in kube-controller-manager watches two signals: the Ready condition's
// lastHeartbeatTime and the node's Lease in kube-node-lease. If neither moves for
// --node-monitor-grace-period (50 s in current releases) it marks the node NotReady/Unknown, taints it
// node.kubernetes.io/unreachable:NoExecute and, after the pods' default 300 s toleration, evicts them.
// A real kubelet renews the Lease every 10 s and posts status less often; we do both every 10 s (cheap
// for one node) so a test never sees its pods evicted because the agent was quiet.
import os from 'node:os';
import { strategicMerge, statusOf, describe, log } from './kube.mjs';

const HEARTBEAT_MS = 10_000;
const LEASE_SECONDS = 40;

const goArch = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' }[process.arch] ?? process.arch;

export class NodeRegistration {
  /**
   * @param {object} api from kube.connect()
   * @param {{ name: string, kubeletPort: number, extraLabels: Record<string,string>, runtimeVersion: string }} opts
   */
  constructor(api, opts) {
    this.api = api;
    this.name = opts.name;
    this.kubeletPort = opts.kubeletPort;
    this.extraLabels = opts.extraLabels;
    this.runtimeVersion = opts.runtimeVersion;
    this.startedAt = new Date().toISOString();
    /** The latest Node object the server returned: the scheduler reads labels and taints from it. */
    this.current = null;
    this.timer = null;
  }

  labels() {
    return {
      'kubernetes.io/hostname': this.name,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': goArch,
      'beta.kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': goArch,
      'flowenv.dev/test-node': 'true',
      ...this.extraLabels,
    };
  }

  status(kubeletVersion) {
    const now = new Date().toISOString();
    const cpus = String(os.cpus().length);
    const memory = `${Math.floor(os.totalmem() / 1024)}Ki`;
    const capacity = { cpu: cpus, memory, pods: '110', 'ephemeral-storage': '100Gi' };
    const condition = (type, status, reason, message) => ({
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: now,
      lastTransitionTime: this.startedAt,
    });
    return {
      capacity,
      allocatable: capacity,
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'flowenv test node has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'flowenv test node has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'flowenv test node has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'flowenv test node agent is posting ready status'),
      ],
      // Only InternalIP: the API server dials the first address of its preferred types, and a Hostname
      // address (the node name) would not resolve here.
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: this.kubeletPort } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: os.release(),
        osImage: 'flowenv test node (containers run in a local Docker engine)',
        containerRuntimeVersion: this.runtimeVersion,
        kubeletVersion: kubeletVersion ?? 'v0.0.0-flowenv',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: goArch,
      },
    };
  }

  async register() {
    try {
      this.kubeletVersion = (await this.api.version.getCode()).gitVersion;
    } catch {
      /* cosmetic only */
    }
    await this.ensureNode();
    await this.heartbeat();
    this.timer = setInterval(() => this.heartbeat().catch(() => {}), HEARTBEAT_MS);
    this.timer.unref?.();
  }

  /** Creates the Node, or adds our labels to an existing one (keeping labels a test added). */
  async ensureNode() {
    const body = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: this.name, labels: this.labels() },
      spec: {},
      status: this.status(this.kubeletVersion),
    };
    try {
      await this.api.core.createNode({ body });
      log(`registered node ${this.name}`);
    } catch (err) {
      if (statusOf(err) !== 409) throw new Error(`cannot register node ${this.name}: ${describe(err)}`);
      await this.api.core.patchNode({ name: this.name, body: { metadata: { labels: this.labels() } } }, strategicMerge);
      log(`node ${this.name} already registered: labels refreshed`);
    }
  }

  async heartbeat() {
    try {
      this.current = await this.api.core.patchNodeStatus(
        { name: this.name, body: { status: this.status(this.kubeletVersion) } },
        strategicMerge,
      );
    } catch (err) {
      if (statusOf(err) === 404) {
        // Someone deleted the Node (or the cluster's data was reset): register again, as a kubelet does.
        log(`node ${this.name} is gone from the API: registering it again`);
        await this.ensureNode().catch((e) => log(e.message));
        return;
      }
      log(`node status heartbeat failed: ${describe(err)}`);
    }
    await this.renewLease();
  }

  async renewLease() {
    // Lease times are MicroTime: the server insists on exactly six fractional digits.
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    const spec = { holderIdentity: this.name, leaseDurationSeconds: LEASE_SECONDS, renewTime: now };
    const ns = 'kube-node-lease';
    try {
      await this.api.coordination.patchNamespacedLease({ name: this.name, namespace: ns, body: { spec } }, strategicMerge);
    } catch (err) {
      if (statusOf(err) !== 404) return log(`lease renewal failed: ${describe(err)}`);
      const ownerReferences = this.current?.metadata?.uid
        ? [{ apiVersion: 'v1', kind: 'Node', name: this.name, uid: this.current.metadata.uid }]
        : undefined;
      try {
        await this.api.coordination.createNamespacedLease({
          namespace: ns,
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, ownerReferences }, spec },
        });
      } catch (createErr) {
        if (statusOf(createErr) !== 409) log(`lease creation failed: ${describe(createErr)}`);
      }
    }
  }

  stop() {
    clearInterval(this.timer);
  }
}
