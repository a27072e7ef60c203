// Pod volumes, materialized as host folders under <state>/pods/<uid>/volumes/<name> and bind-mounted
// into the containers (dockerd runs on this host, so a host path is a valid bind source).
//
// The one that matters most is the service-account volume. Since Kubernetes 1.22 the ServiceAccount
// admission plugin adds to every pod (unless automountServiceAccountToken is false) a projected volume
// `kube-api-access-xxxxx` made of: a serviceAccountToken (TokenRequest API, bound to the pod), the
// `kube-root-ca.crt` ConfigMap (published in every namespace by kube-controller-manager from its
// --root-ca-file, i.e. the API server's CA) and the namespace via the downward API, mounted at
// /var/run/secrets/kubernetes.io/serviceaccount. Doing projected volumes generically therefore gives
// containers exactly what a kubelet gives them; there are no legacy token Secrets in current releases.
// If a pod somehow has no such mount (and did not opt out), we synthesize the same three files.
//
// Supported: projected (serviceAccountToken, secret, configMap, downwardAPI), secret, configMap,
// downwardAPI, emptyDir, hostPath. Anything else is a mount error (the container waits in
// ContainerCreating, as with a kubelet that cannot mount). Tokens are not refreshed: they live for
// the requested expirationSeconds (the admission default is 3607 s), far longer than a test.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, RefReader, fieldValue, resourceValue } from './env.mjs';
import { describe } from './kube.mjs';

export const SA_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const SYNTHETIC_SA_VOLUME = 'flowenv-kube-api-access';

/** Mount problems: the container waits in ContainerCreating with this message, and we retry. */
export class MountError extends Error {}

async function writeFile(dir, rel, data, mode) {
  const target = path.join(dir, rel);
  if (!target.startsWith(dir + path.sep)) throw new MountError(`path ${rel} escapes its volume`);
  await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
  const tmp = `${target}.tmp-${process.pid}`;
  await fs.writeFile(tmp, data, { mode });
  await fs.chmod(tmp, mode); // umask would otherwise strip bits
  await fs.rename(tmp, target);
}

/** Files of one Secret/ConfigMap source: every key, or the listed items. */
async function keyFiles(refs, kind, name, items, optional, defaultMode) {
  let data = await refs.get(kind, name);
  if (data === null) {
    if (optional) return [];
    throw new MountError(`${kind === 'Secret' ? 'secret' : 'configmap'} "${name}" not found`);
  }
  if (!items?.length) return Object.entries(data).map(([k, v]) => ({ path: k, data: v, mode: defaultMode }));
  const out = [];
  for (const item of items) {
    if (!(item.key in data)) {
      if (optional) continue;
      throw new MountError(`configmap or secret "${name}" has no key ${item.key}`);
    }
    out.push({ path: item.path, data: data[item.key], mode: item.mode ?? defaultMode });
  }
  return out;
}

function downwardFiles(pod, items, defaultMode, hostIP, nodeCapacity) {
  return (items ?? []).map((item) => {
    let value;
    if (item.fieldRef) value = fieldValue(pod, item.fieldRef.fieldPath, hostIP);
    else if (item.resourceFieldRef) {
      const container = pod.spec.containers.find((c) => c.name === item.resourceFieldRef.containerName) ?? pod.spec.containers[0];
      value = resourceValue(container, item.resourceFieldRef, nodeCapacity);
    }
    return { path: item.path, data: Buffer.from(value ?? '', 'utf8'), mode: item.mode ?? defaultMode };
  });
}

async function requestToken(api, pod, { audience, expirationSeconds }) {
  const sa = pod.spec.serviceAccountName || 'default';
  try {
    const res = await api.core.createNamespacedServiceAccountToken({
      name: sa,
      namespace: pod.metadata.namespace,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          // No audience: the API server fills in its own (--api-audiences), which is what in-cluster
          // clients need. Bound to the pod, so the token dies with it, as a kubelet's does.
          audiences: audience ? [audience] : [],
          expirationSeconds: expirationSeconds ?? 3607,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
        },
      },
    });
    return res.status.token;
  } catch (err) {
    throw new MountError(`failed to fetch token for service account ${pod.metadata.namespace}/${sa}: ${describe(err)}`);
  }
}

/**
 * Writes every volume of POD under POD_DIR and returns name → host folder.
 * @returns {Promise<Map<string,string>>}
 */
export async function prepareVolumes({ api, pod, podDir, hostIP, nodeCapacity, caPem }) {
  const refs = new RefReader(api, pod.metadata.namespace);
  const volumes = new Map();
  const specVolumes = [...(pod.spec.volumes ?? [])];
  if (needsSyntheticServiceAccount(pod)) specVolumes.push({ name: SYNTHETIC_SA_VOLUME, synthetic: true });

  for (const vol of specVolumes) {
    const dir = path.join(podDir, 'volumes', vol.name);
    if (vol.hostPath) {
      volumes.set(vol.name, vol.hostPath.path);
      continue;
    }
    await fs.mkdir(dir, { recursive: true });
    let files = [];
    try {
      if (vol.emptyDir) {
        await fs.chmod(dir, 0o777); // as the kubelet makes them: writable by any container user
      } else if (vol.secret) {
        files = await keyFiles(refs, 'Secret', vol.secret.secretName, vol.secret.items, vol.secret.optional, vol.secret.defaultMode ?? 0o644);
      } else if (vol.configMap) {
        files = await keyFiles(refs, 'ConfigMap', vol.configMap.name, vol.configMap.items, vol.configMap.optional, vol.configMap.defaultMode ?? 0o644);
      } else if (vol.downwardAPI) {
        files = downwardFiles(pod, vol.downwardAPI.items, vol.downwardAPI.defaultMode ?? 0o644, hostIP, nodeCapacity);
      } else if (vol.projected) {
        const mode = vol.projected.defaultMode ?? 0o644;
        for (const src of vol.projected.sources ?? []) {
          if (src.serviceAccountToken) {
            const token = await requestToken(api, pod, src.serviceAccountToken);
            files.push({ path: src.serviceAccountToken.path, data: Buffer.from(token), mode });
          } else if (src.secret) {
            files.push(...(await keyFiles(refs, 'Secret', src.secret.name, src.secret.items, src.secret.optional, mode)));
          } else if (src.configMap) {
            files.push(...(await keyFiles(refs, 'ConfigMap', src.configMap.name, src.configMap.items, src.configMap.optional, mode)));
          } else if (src.downwardAPI) {
            files.push(...downwardFiles(pod, src.downwardAPI.items, mode, hostIP, nodeCapacity));
          } else {
            throw new MountError(`volume ${vol.name}: unsupported projected source ${Object.keys(src).join(',')}`);
          }
        }
      } else if (vol.synthetic) {
        const token = await requestToken(api, pod, {});
        files = [
          { path: 'token', data: Buffer.from(token), mode: 0o644 },
          { path: 'ca.crt', data: Buffer.from(caPem ?? ''), mode: 0o644 },
          { path: 'namespace', data: Buffer.from(pod.metadata.namespace), mode: 0o644 },
        ];
      } else {
        const kind = Object.keys(vol).filter((k) => k !== 'name').join(',');
        throw new MountError(`volume ${vol.name}: type ${kind} is not supported by the flowenv test node`);
      }
    } catch (err) {
      if (err instanceof MountError) throw err;
      if (err instanceof ConfigError) throw new MountError(err.message);
      throw new MountError(`volume ${vol.name}: ${err.message}`);
    }
    for (const f of files) await writeFile(dir, f.path, f.data, f.mode);
    volumes.set(vol.name, dir);
  }
  return volumes;
}

function needsSyntheticServiceAccount(pod) {
  if (pod.spec.automountServiceAccountToken === false) return false;
  const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  return !all.some((c) => (c.volumeMounts ?? []).some((m) => m.mountPath.replace(/\/+$/, '') === SA_MOUNT_PATH));
}

/** Docker bind strings for CONTAINER's volumeMounts (plus the synthetic SA mount when there is one). */
export function bindsFor(pod, container, volumes) {
  const binds = [];
  for (const m of container.volumeMounts ?? []) {
    const src = volumes.get(m.name);
    if (!src) throw new MountError(`volumeMount ${m.name}: no such volume`);
    const from = m.subPath ? path.join(src, m.subPath) : src;
    binds.push(`${from}:${m.mountPath}${m.readOnly ? ':ro' : ''}`);
  }
  if (volumes.has(SYNTHETIC_SA_VOLUME)) binds.push(`${volumes.get(SYNTHETIC_SA_VOLUME)}:${SA_MOUNT_PATH}:ro`);
  return binds;
}
