#!/usr/bin/env bash
# services/k8s-node.sh up|down|status|check — the test node: a Node.js agent (tools/testenv/k8s-node-agent)
# that stands in for the kubelet and the scheduler of the k8s service. It registers Node
# flowenv-test-node, binds pending pods to it, runs their containers in the docker service's engine
# (host network) with images from the registry service, writes pod status back, and serves container
# logs to the API server on https://127.0.0.1:16250. Needs: docker, registry, k8s (up in that order).
#
# The agent talks to the API server with the admin kubeconfig: it acts as kube-scheduler (pods/binding)
# as well as the kubelet, which the NodeRestriction-limited node identity cannot do.
# `down` stops the agent only: Node, pods and containers stay (an `up` adopts them again); `check`
# runs smoke.mjs (real Jobs through the API; leaves nothing behind).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NODE_NAME=flowenv-test-node
KUBELET_PORT=16250

dir=$(service_dir k8s-node)
agent_dir=$TESTENV_ROOT/tools/testenv/k8s-node-agent
agent=$agent_dir/agent.mjs
pidfile=$dir/agent.pid
pki=$dir/pki
k8s_pki=$TESTENV_STATE/k8s/pki

# load_env SERVICE… — exports the KEY=value lines of those services' env fragments (no shell parsing).
load_env() {
  local service key value
  for service in "$@"; do
    [ -f "$TESTENV_STATE/$service/env" ] || die "the $service service is not up (run tools/testenv/up docker registry k8s)"
    while IFS='=' read -r key value; do
      [ -n "$key" ] && export "$key=$value"
    done <"$TESTENV_STATE/$service/env"
  done
}

agent_ours() { pid_owned "$pidfile" "$agent"; }

# The agent's code, hashed: an `up` after it changed restarts the agent.
fingerprint() { cat "$agent_dir"/*.mjs "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16; }

# A serving certificate for the kubelet endpoint, signed by the cluster CA (so the API server could
# verify it with --kubelet-certificate-authority); made again when the CA changes.
serving_cert() {
  mkdir -p "$pki"; chmod 700 "$pki"
  if [ -s "$pki/kubelet.crt" ] && openssl verify -CAfile "$k8s_pki/ca.crt" "$pki/kubelet.crt" >/dev/null 2>&1; then return 0; fi
  log "issuing the kubelet serving certificate (CN=system:node:$NODE_NAME, IP:127.0.0.1)"
  openssl genrsa -out "$pki/kubelet.key" 2048 2>/dev/null
  printf '%s\n' basicConstraints=CA:FALSE keyUsage=critical,digitalSignature,keyEncipherment \
    extendedKeyUsage=serverAuth "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:$NODE_NAME" >"$pki/kubelet.ext"
  openssl req -new -key "$pki/kubelet.key" -subj "/O=system:nodes/CN=system:node:$NODE_NAME" -out "$pki/kubelet.csr" 2>/dev/null
  openssl x509 -req -in "$pki/kubelet.csr" -CA "$k8s_pki/ca.crt" -CAkey "$k8s_pki/ca.key" -CAcreateserial \
    -CAserial "$pki/ca.srl" -days 3650 -sha256 -extfile "$pki/kubelet.ext" -out "$pki/kubelet.crt" 2>/dev/null
  chmod 600 "$pki/kubelet.key"
  rm -f "$pki/kubelet.csr" "$pki/kubelet.ext"
}

# node_state — "ready" when the Node reports Ready=True and carries no not-ready/unreachable taint.
node_state() {
  local token; token=$(awk '$1=="token:"{print $2; exit}' "$KUBECONFIG")
  curl -sS --max-time 5 --cacert "$k8s_pki/ca.crt" -H "Authorization: Bearer $token" \
    "$FLOWENV_K8S_SERVER/api/v1/nodes/$NODE_NAME" 2>/dev/null | node -e '
      let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        try {
          const n = JSON.parse(s);
          const ready = (n.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
          const tainted = (n.spec?.taints ?? []).some((t) => /^node\.kubernetes\.io\/(not-ready|unreachable)$/.test(t.key));
          console.log(n.kind !== "Node" ? "absent" : ready && !tainted ? "ready" : "not-ready");
        } catch { console.log("absent"); }
      });'
}

start_agent() {
  load_env docker registry k8s
  serving_cert
  forget_stale_pidfile "$pidfile" "$agent"
  if agent_ours && [ "$(cat "$dir/fingerprint" 2>/dev/null)" != "$(fingerprint)" ]; then
    log "the agent's code changed since it started: restarting it"
    stop_pidfile "$pidfile" 15
  fi
  if ! agent_ours; then
    (exec 3<>"/dev/tcp/127.0.0.1/$KUBELET_PORT") 2>/dev/null && die "127.0.0.1:$KUBELET_PORT is in use by a process testenv did not start"
    log "starting the node agent ($NODE_NAME, kubelet endpoint 127.0.0.1:$KUBELET_PORT)"
    rm -f "$dir/agent.ready"
    fingerprint >"$dir/fingerprint"
    start_daemon "$pidfile" "$dir/agent.log" env \
      FLOWENV_K8S_NODE_NAME="$NODE_NAME" FLOWENV_K8S_NODE_KUBELET_PORT="$KUBELET_PORT" \
      FLOWENV_K8S_NODE_STATE="$dir" \
      FLOWENV_K8S_NODE_TLS_CERT="$pki/kubelet.crt" FLOWENV_K8S_NODE_TLS_KEY="$pki/kubelet.key" \
      node "$agent" 9>&-   # not our lock
  fi
  local state=absent
  for _ in $(seq 1 300); do
    # The agent writes its PID to agent.ready once registered and watching; then the Node must be Ready.
    if [ "$(cat "$dir/agent.ready" 2>/dev/null)" = "$(cat "$pidfile")" ]; then
      state=$(node_state)
      [ "$state" = ready ] && break
    fi
    agent_ours || { tail -n 20 "$dir/agent.log" >&2; die "the node agent exited; see $dir/agent.log"; }
    sleep 0.1
  done
  [ "$state" = ready ] || die "node $NODE_NAME is $state after 30s; see $dir/agent.log"
}

up() {
  start_agent
  write_env k8s-node "FLOWENV_K8S_NODE=$NODE_NAME"
  log "ready: node $NODE_NAME (agent pid $(cat "$pidfile"), log $dir/agent.log)"
}

down() {
  forget_stale_pidfile "$pidfile" "$agent"
  if agent_ours; then
    log "stopping the node agent (pid $(cat "$pidfile")); pods and containers are left as they are"
    stop_pidfile "$pidfile" 15
  else
    log "node agent: not running"
  fi
  rm -f "$pidfile" "$dir/env" "$dir/agent.ready"
}

status() {
  forget_stale_pidfile "$pidfile" "$agent"
  if agent_ours && load_env k8s 2>/dev/null && [ "$(node_state)" = ready ]; then
    log "running: node agent pid $(cat "$pidfile"), node $NODE_NAME Ready"
    return 0
  fi
  log "not running"
  return 1
}

check() {
  status || die "not running"
  load_env docker registry k8s k8s-node
  node "$agent_dir/smoke.mjs"
}

lock() { exec 9>"$dir/lock"; flock -w 900 9 || die "another up/down of this service is still running"; }

case "${1:-}" in
  up) lock; up ;;
  down) lock; down ;;
  status) status ;;
  check) check ;;
  *) die "usage: SERVICE=k8s-node bash services/k8s-node.sh up|down|status|check" ;;
esac
