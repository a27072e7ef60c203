// Container environment, resolved as the kubelet does (pkg/kubelet/kubelet_pods.go
// makeEnvironmentVariables): envFrom first, then env in order (later names win), each value with
// $(VAR) references expanded against what is defined so far plus the service variables; then the
// KUBERNETES_SERVICE_* variables for every name not defined by the pod. A reference to a missing
// Secret/ConfigMap or key (not marked optional) is a ConfigError: the container waits with reason
// CreateContainerConfigError and the agent tries again later, so creating the Secret fixes the pod.
import { statusOf, describe } from './kube.mjs';

export class ConfigError extends Error {}

/** $(VAR) expansion with $$ as an escape, as in k8s.io/kubernetes/third_party/forked/golang/expansion. */
export function expand(input, lookup) {
  if (typeof input !== 'string' || !input.includes('$')) return input;
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const end = input.indexOf(')', i + 2);
      if (end === -1) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, end);
      const value = lookup(name);
      out += value === undefined ? `$(${name})` : value;
      i = end;
    } else {
      out += ch;
    }
  }
  return out;
}

const QUANTITY_SUFFIX = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A resource.Quantity string ("16Mi", "500m", "1.5", "1e3") as a number; undefined when absent. */
export function parseQuantity(q) {
  if (q === undefined || q === null || q === '') return undefined;
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(String(q).trim());
  if (!m || !(m[2] in QUANTITY_SUFFIX)) throw new ConfigError(`invalid quantity ${q}`);
  return Number(m[1]) * QUANTITY_SUFFIX[m[2]];
}

/** Reads Secrets/ConfigMaps once per container start (a pod with ten refs to one Secret reads it once). */
export class RefReader {
  constructor(api, namespace) {
    this.api = api;
    this.namespace = namespace;
    this.cache = new Map();
  }

  async get(kind, name) {
    const key = `${kind}/${name}`;
    if (!this.cache.has(key)) {
      this.cache.set(
        key,
        (async () => {
          try {
            const obj =
              kind === 'Secret'
                ? await this.api.core.readNamespacedSecret({ name, namespace: this.namespace })
                : await this.api.core.readNamespacedConfigMap({ name, namespace: this.namespace });
            const data = {};
            if (kind === 'Secret') {
              for (const [k, v] of Object.entries(obj.data ?? {})) data[k] = Buffer.from(v, 'base64');
            } else {
              for (const [k, v] of Object.entries(obj.data ?? {})) data[k] = Buffer.from(v, 'utf8');
              for (const [k, v] of Object.entries(obj.binaryData ?? {})) data[k] = Buffer.from(v, 'base64');
            }
            return data;
          } catch (err) {
            if (statusOf(err) === 404) return null;
            throw new ConfigError(`cannot read ${kind.toLowerCase()} "${name}": ${describe(err)}`);
          }
        })(),
      );
    }
    return this.cache.get(key);
  }

  /** One key's bytes, or undefined when optional and missing; ConfigError (kubelet's wording) otherwise. */
  async key(kind, name, key, optional) {
    const data = await this.get(kind, name);
    if (data === null) {
      if (optional) return undefined;
      throw new ConfigError(`${kind === 'Secret' ? 'secret' : 'configmap'} "${name}" not found`);
    }
    if (!(key in data)) {
      if (optional) return undefined;
      throw new ConfigError(`couldn't find key ${key} in ${kind} ${this.namespace}/${name}`);
    }
    return data[key];
  }
}

/** metadata.labels['a'] → ['labels', 'a']; metadata.name → ['name']. */
function parseFieldPath(path) {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return [m[1], m[2]];
  return [path];
}

/** The value of a downward-API fieldRef for POD, as the kubelet formats it. */
export function fieldValue(pod, fieldPath, hostIP) {
  const [head, key] = parseFieldPath(fieldPath);
  const md = pod.metadata ?? {};
  const formatMap = (map) =>
    Object.keys(map ?? {})
      .sort()
      .map((k) => `${k}=${JSON.stringify(map[k])}`)
      .join('\n');
  switch (head) {
    case 'labels':
      return key === undefined ? undefined : (md.labels?.[key] ?? '');
    case 'annotations':
      return key === undefined ? undefined : (md.annotations?.[key] ?? '');
    case 'metadata.name':
      return md.name;
    case 'metadata.namespace':
      return md.namespace;
    case 'metadata.uid':
      return md.uid;
    case 'metadata.labels':
      return formatMap(md.labels);
    case 'metadata.annotations':
      return formatMap(md.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.podIP':
      return hostIP; // host network: the pod's IP is the node's
    case 'status.hostIPs':
    case 'status.podIPs':
      return hostIP;
    default:
      throw new ConfigError(`unsupported fieldRef fieldPath ${fieldPath}`);
  }
}

/** resourceFieldRef: the container's limit/request divided by the divisor (limits default to the node's capacity). */
export function resourceValue(container, ref, nodeCapacity) {
  const [kind, resource] = String(ref.resource).split('.');
  const res = container.resources ?? {};
  let value = parseQuantity((kind === 'requests' ? res.requests : res.limits)?.[resource]);
  if (value === undefined && kind === 'requests') value = parseQuantity(res.limits?.[resource]);
  if (value === undefined) value = kind === 'limits' ? parseQuantity(nodeCapacity?.[resource]) : 0;
  if (value === undefined) throw new ConfigError(`unsupported resourceFieldRef ${ref.resource}`);
  const divisor = parseQuantity(ref.divisor) || 1;
  return String(Math.ceil(value / divisor));
}

/**
 * The container's environment as an ordered [name, value] list.
 * @param serviceEnv the KUBERNETES_SERVICE_* variables (what the kubelet derives from the `kubernetes` Service)
 */
export async function resolveEnv({ api, pod, container, serviceEnv, hostIP, nodeCapacity, refs }) {
  refs ??= new RefReader(api, pod.metadata.namespace);
  const env = new Map();
  const lookup = (name) => (env.has(name) ? env.get(name) : serviceEnv[name]);

  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.secretRef ? 'Secret' : 'ConfigMap';
    const data = await refs.get(kind, ref.name);
    if (data === null) {
      if (ref.optional) continue;
      throw new ConfigError(`${kind === 'Secret' ? 'secret' : 'configmap'} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(data)) {
      const name = `${from.prefix ?? ''}${k}`;
      if (/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name)) env.set(name, v.toString('utf8')); // invalid names are skipped
    }
  }

  for (const e of container.env ?? []) {
    let value;
    if (e.valueFrom) {
      const vf = e.valueFrom;
      if (vf.secretKeyRef) {
        const bytes = await refs.key('Secret', vf.secretKeyRef.name, vf.secretKeyRef.key, vf.secretKeyRef.optional);
        if (bytes === undefined) continue;
        value = bytes.toString('utf8');
      } else if (vf.configMapKeyRef) {
        const bytes = await refs.key('ConfigMap', vf.configMapKeyRef.name, vf.configMapKeyRef.key, vf.configMapKeyRef.optional);
        if (bytes === undefined) continue;
        value = bytes.toString('utf8');
      } else if (vf.fieldRef) {
        value = fieldValue(pod, vf.fieldRef.fieldPath, hostIP);
      } else if (vf.resourceFieldRef) {
        value = resourceValue(container, vf.resourceFieldRef, nodeCapacity);
      } else {
        throw new ConfigError(`env ${e.name}: unsupported valueFrom ${Object.keys(vf).join(',')}`);
      }
    } else {
      value = expand(e.value ?? '', lookup);
    }
    env.set(e.name, value);
  }

  for (const [k, v] of Object.entries(serviceEnv)) if (!env.has(k)) env.set(k, v);
  return [...env];
}
