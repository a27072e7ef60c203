// The part of the kubelet's HTTPS API that the API server proxies to: `kubectl logs`,
// readNamespacedPodLog and the Log helper all go to GET /api/v1/namespaces/NS/pods/POD/log, which the
// API server turns into GET https://<node InternalIP>:<status.daemonEndpoints.kubeletEndpoint.Port>
// /containerLogs/NS/POD/CONTAINER?follow=…&tailLines=…&timestamps=…. We answer from `docker logs`.
//
// TLS: the API server verifies the kubelet's certificate only when it has --kubelet-certificate-authority;
// k8s.sh does not pass it, so any certificate is accepted. services/k8s-node.sh still signs ours with
// the cluster CA (SAN IP:127.0.0.1), so adding that flag later needs no change here. The API server
// presents no client certificate (no --kubelet-client-certificate), so requests cannot be
// authenticated: the endpoint listens on 127.0.0.1 only and serves read-only logs.
import https from 'node:https';
import { Transform } from 'node:stream';
import { log } from './kube.mjs';

/** Docker's multiplexed log stream (8-byte header: stream id, 3 zero bytes, big-endian size) → payloads. */
class Demux extends Transform {
  constructor(wanted) {
    super();
    this.wanted = wanted; // Set of 1 (stdout) / 2 (stderr)
    this.buf = Buffer.alloc(0);
  }
  _transform(chunk, _enc, done) {
    this.buf = Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      if (this.wanted.has(this.buf[0])) this.push(this.buf.subarray(8, 8 + size));
      this.buf = this.buf.subarray(8 + size);
    }
    done();
  }
}

/** Passes at most LIMIT bytes, then ends. */
class Limit extends Transform {
  constructor(limit, onLimit) {
    super();
    this.left = limit;
    this.onLimit = onLimit;
  }
  _transform(chunk, _enc, done) {
    if (this.left <= 0) return done();
    const part = chunk.subarray(0, this.left);
    this.left -= part.length;
    this.push(part);
    if (this.left <= 0) this.onLimit();
    done();
  }
}

function fail(res, code, message) {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(message);
}

export function startKubeletServer({ port, cert, key, runtime, pods }) {
  const server = https.createServer({ cert, key }, (req, res) => {
    handle(req, res).catch((err) => {
      log(`kubelet endpoint: ${req.method} ${req.url} failed: ${err.message}`);
      if (!res.headersSent) fail(res, 500, err.message);
      else res.destroy();
    });
  });

  async function handle(req, res) {
    const url = new URL(req.url, 'https://127.0.0.1');
    if (url.pathname === '/healthz') return fail(res, 200, 'ok');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) {
      return fail(res, 404, `the flowenv test node serves only /containerLogs and /healthz, not ${req.method} ${url.pathname}`);
    }
    const [namespace, podName, containerName] = m.slice(1).map(decodeURIComponent);
    const q = url.searchParams;
    const truthy = (v) => v === 'true' || v === '1';
    if (truthy(q.get('previous'))) {
      return fail(res, 400, `previous terminated container "${containerName}" in pod "${podName}" not found`);
    }
    const container = await runtime.findForLogs(namespace, podName, containerName);
    if (!container) {
      const pod = pods(namespace, podName);
      const waiting = [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])].find(
        (s) => s.name === containerName,
      )?.state?.waiting;
      const why = waiting ? `is waiting to start: ${waiting.reason}` : 'is not known to the flowenv test node';
      return fail(res, 400, `container "${containerName}" in pod "${podName}" ${why}`);
    }
    const info = await container.inspect();
    const follow = truthy(q.get('follow'));
    const options = { stdout: true, stderr: true, follow, timestamps: truthy(q.get('timestamps')) };
    if (q.get('tailLines')) options.tail = Number(q.get('tailLines'));
    if (q.get('sinceSeconds')) options.since = Math.floor(Date.now() / 1000) - Number(q.get('sinceSeconds'));
    else if (q.get('sinceTime')) options.since = Math.floor(Date.parse(q.get('sinceTime')) / 1000);
    const stream = q.get('stream'); // PodLogsQuerySplitStreams: All | Stdout | Stderr
    const wanted = new Set(stream === 'Stdout' ? [1] : stream === 'Stderr' ? [2] : [1, 2]);

    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Transfer-Encoding': 'chunked' });
    const raw = await container.logs(options);
    const limitBytes = q.get('limitBytes') ? Number(q.get('limitBytes')) : Infinity;
    let source;
    if (Buffer.isBuffer(raw) || typeof raw === 'string') {
      // Not following: dockerode hands over the whole (multiplexed unless TTY) body.
      const { Readable } = await import('node:stream');
      source = Readable.from([Buffer.from(raw)]);
    } else {
      source = raw;
      req.on('close', () => raw.destroy?.());
    }
    let out = info.Config.Tty ? source : source.pipe(new Demux(wanted));
    if (Number.isFinite(limitBytes)) out = out.pipe(new Limit(limitBytes, () => (res.end(), source.destroy?.())));
    out.pipe(res);
    source.on('error', () => res.end());
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      log(`kubelet endpoint listening on https://127.0.0.1:${port} (containerLogs)`);
      resolve(server);
    });
  });
}
