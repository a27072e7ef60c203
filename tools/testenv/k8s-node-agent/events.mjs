// Pod events as a kubelet records them (Pulling, Pulled, Started, Failed, Killing…), so
// `kubectl describe pod` and tests that read events see why a pod is stuck. Best effort: an event
// that cannot be written is dropped, never retried, and never delays the pod.
import crypto from 'node:crypto';

export class EventRecorder {
  constructor(api, nodeName) {
    this.api = api;
    this.nodeName = nodeName;
  }

  /** COMPONENT: 'kubelet' (default) or 'default-scheduler' for the scheduling events. */
  record(pod, type, reason, message, component = 'kubelet') {
    const now = new Date().toISOString();
    const { name, namespace, uid } = pod.metadata;
    this.api.core
      .createNamespacedEvent({
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: `${name}.${crypto.randomBytes(8).toString('hex')}`, namespace },
          involvedObject: { apiVersion: 'v1', kind: 'Pod', name, namespace, uid },
          type,
          reason,
          message,
          source: component === 'kubelet' ? { component, host: this.nodeName } : { component },
          reportingComponent: component,
          reportingInstance: component === 'kubelet' ? this.nodeName : `${component}-${this.nodeName}`,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .catch(() => {});
  }
}
