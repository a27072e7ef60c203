// The scheduler's part: there is one node, so scheduling is "does the pod fit on it?".
// Checked, minimally, as kube-scheduler's filters do: nodeSelector, required node affinity
// (matchExpressions/matchFields on labels and metadata.name), node.spec.unschedulable and
// NoSchedule/NoExecute taints against the pod's tolerations. Resources are not counted.
// A pod that fits is bound through pods/binding (what kube-scheduler does); one that does not stays
// Pending with PodScheduled=False reason Unschedulable, and is tried again periodically (labels or
// taints on the node may change).
import { strategicMerge, statusOf, describe, log } from './kube.mjs';

const RETRY_MS = 3_000;

function matchExpression(expr, value, present) {
  const values = expr.values ?? [];
  switch (expr.operator) {
    case 'In':
      return present && values.includes(value);
    case 'NotIn':
      return !present || !values.includes(value);
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
    case 'Gt':
      return present && Number(value) > Number(values[0]);
    case 'Lt':
      return present && Number(value) < Number(values[0]);
    default:
      return false;
  }
}

function nodeSelectorTermMatches(term, node) {
  const labels = node?.metadata?.labels ?? {};
  const byLabels = (term.matchExpressions ?? []).every((e) => matchExpression(e, labels[e.key], e.key in labels));
  const byFields = (term.matchFields ?? []).every((e) =>
    e.key === 'metadata.name' ? matchExpression(e, node?.metadata?.name, true) : false,
  );
  return byLabels && byFields && ((term.matchExpressions?.length ?? 0) + (term.matchFields?.length ?? 0) > 0);
}

function tolerates(tolerations, taint) {
  return (tolerations ?? []).some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (!t.key) return t.operator === 'Exists'; // empty key + Exists tolerates everything
    if (t.key !== taint.key) return false;
    return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
  });
}

/** Why the pod cannot run on the node, or null when it fits. */
export function unfitReason(pod, node) {
  const labels = node?.metadata?.labels ?? {};
  const spec = pod.spec ?? {};
  const selector = spec.nodeSelector ?? {};
  if (Object.entries(selector).some(([k, v]) => labels[k] !== v)) {
    return "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.";
  }
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required?.nodeSelectorTerms?.length && !required.nodeSelectorTerms.some((t) => nodeSelectorTermMatches(t, node))) {
    return "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.";
  }
  const taints = [...(node?.spec?.taints ?? [])];
  if (node?.spec?.unschedulable) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });
  const blocking = taints.find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(spec.tolerations, t));
  if (blocking) {
    return `0/1 nodes are available: 1 node(s) had untolerated taint {${blocking.key}: ${blocking.value ?? ''}}.`;
  }
  return null;
}

export class Scheduler {
  constructor(api, registration, events) {
    this.api = api;
    this.events = events;
    this.registration = registration;
    this.inFlight = new Set(); // uids being bound right now
    this.unschedulable = new Map(); // uid → { pod, message }
    this.timer = setInterval(() => this.retry(), RETRY_MS);
    this.timer.unref?.();
  }

  /** Is this pod one for a scheduler to place? */
  static wants(pod) {
    return (
      !pod.spec?.nodeName &&
      !pod.metadata?.deletionTimestamp &&
      (pod.status?.phase ?? 'Pending') === 'Pending' &&
      (!pod.spec?.schedulerName || pod.spec.schedulerName === 'default-scheduler')
    );
  }

  onPod(type, pod) {
    const uid = pod.metadata.uid;
    if (type === 'DELETED' || !Scheduler.wants(pod)) {
      this.unschedulable.delete(uid);
      return;
    }
    this.schedule(pod);
  }

  async retry() {
    if (!this.unschedulable.size) return;
    // Fresh labels/taints: a test that labels the node expects its pod placed promptly, not after the
    // next heartbeat.
    try {
      this.registration.current = await this.api.core.readNode({ name: this.registration.name });
    } catch {
      /* keep the last known node */
    }
    for (const { pod } of this.unschedulable.values()) this.schedule(pod, true);
  }

  async schedule(pod, isRetry = false) {
    const { uid, name, namespace } = pod.metadata;
    if (this.inFlight.has(uid)) return;
    this.inFlight.add(uid);
    try {
      const node = this.registration.current;
      const reason = unfitReason(pod, node);
      if (reason) {
        const previous = this.unschedulable.get(uid);
        this.unschedulable.set(uid, { pod, message: reason });
        if (previous?.message === reason) return;
        await this.api.core.patchNamespacedPodStatus(
          {
            name,
            namespace,
            body: {
              metadata: { uid },
              status: {
                conditions: [
                  {
                    type: 'PodScheduled',
                    status: 'False',
                    reason: 'Unschedulable',
                    message: reason,
                    lastProbeTime: null,
                    lastTransitionTime: new Date().toISOString(),
                  },
                ],
              },
            },
          },
          strategicMerge,
        );
        log(`unschedulable ${namespace}/${name}: ${reason}`);
        this.events.record(pod, 'Warning', 'FailedScheduling', reason, 'default-scheduler');
        return;
      }
      this.unschedulable.delete(uid);
      await this.api.core.createNamespacedBinding({
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, uid },
          target: { apiVersion: 'v1', kind: 'Node', name: this.registration.name },
        },
      });
      log(`bound ${namespace}/${name} to ${this.registration.name}${isRetry ? ' (was unschedulable)' : ''}`);
      this.events.record(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${this.registration.name}`, 'default-scheduler');
    } catch (err) {
      // 409: already bound (an event for a pod we bound a moment ago); 404: deleted meanwhile.
      if (statusOf(err) !== 409 && statusOf(err) !== 404) {
        log(`scheduling ${namespace}/${name} failed: ${describe(err)}`);
        this.unschedulable.set(uid, { pod, message: 'retry' });
      }
    } finally {
      this.inFlight.delete(uid);
    }
  }

  stop() {
    clearInterval(this.timer);
  }
}
