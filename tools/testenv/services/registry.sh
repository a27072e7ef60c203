#!/usr/bin/env bash
# services/registry.sh up|down|status — a private image registry for the tests.
#
# Debian's docker-registry (distribution 2.8) run by hand with our own config (the packaged one in
# /etc/docker/registry listens on all interfaces and is never touched): 127.0.0.1 only, plain HTTP
# (127.0.0.0/8 is an insecure registry for every Docker engine by default, so no TLS and no daemon.json),
# htpasswd auth with a test user whose random password is kept in $TESTENV_STATE/registry/, data in
# $TESTENV_STATE/registry/data (kept across down/up).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

HOST=127.0.0.1
PORT=${TESTENV_REGISTRY_PORT:-45000}
USERNAME=flowenv

dir=$(service_dir registry)
config=$dir/config.yml
pidfile=$dir/pid
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

# /v2/ answers 401 with auth on: the registry is serving.
registry_answers() {
  [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://$HOST:$PORT/v2/" 2>/dev/null)" = 401 ]
}
registry_ours() { pid_owned "$pidfile" "$config"; }

random_secret() { head -c 24 /dev/urandom | base64 | tr -d '/+='; }

write_config() {
  mkdir -p "$dir/data"
  [ -s "$dir/password" ] || (umask 077; random_secret >"$dir/password")
  [ -s "$dir/http-secret" ] || (umask 077; random_secret >"$dir/http-secret")
  local password; password=$(cat "$dir/password")
  # Only bcrypt is accepted. The registry checks the hash on every request: keep the cost low.
  if [ ! -s "$dir/htpasswd" ] || ! htpasswd -vb "$dir/htpasswd" "$USERNAME" "$password" >/dev/null 2>&1; then
    (umask 077; htpasswd -nbB -C 5 "$USERNAME" "$password" | grep . >"$dir/htpasswd")
  fi
  cat >"$config.tmp" <<EOF
# Written by tools/testenv/services/registry.sh — rewritten each time it starts.
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $HOST:$PORT
  secret: $(cat "$dir/http-secret")
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: flowenv-testenv
    path: $dir/htpasswd
EOF
  mv "$config.tmp" "$config"
}

up() {
  apt_install docker-registry apache2-utils curl
  forget_stale_pidfile "$pidfile" "$config"
  if registry_ours && registry_answers; then
    log "already running (pid $(cat "$pidfile")) on $HOST:$PORT"
  else
    if ! registry_ours; then
      if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then die "$HOST:$PORT is taken by a process we did not start"; fi
      write_config
      log "starting docker-registry on $HOST:$PORT"
      start_daemon "$pidfile" "$dir/registry.log" docker-registry serve "$config" 9>&-  # not our lock
    fi
    local _
    for _ in $(seq 1 100); do
      registry_answers && break
      registry_ours || { tail -n 20 "$dir/registry.log" >&2; die "docker-registry exited; see $dir/registry.log"; }
      sleep 0.1
    done
    registry_answers || die "docker-registry does not answer on $HOST:$PORT after 10s; see $dir/registry.log"
  fi
  write_env registry \
    "FLOWENV_REGISTRY_URL=$HOST:$PORT" \
    "FLOWENV_REGISTRY_USERNAME=$USERNAME" \
    "FLOWENV_REGISTRY_PASSWORD=$(cat "$dir/password")"
}

down() {
  forget_stale_pidfile "$pidfile" "$config"
  if registry_ours; then
    log "stopping docker-registry (pid $(cat "$pidfile"))"
    stop_pidfile "$pidfile" 10
  else
    log "docker-registry: not running"
  fi
  rm -f "$pidfile" "$dir/env"
}

status() {
  forget_stale_pidfile "$pidfile" "$config"
  if registry_ours && registry_answers; then
    log "running: docker-registry pid $(cat "$pidfile") on $HOST:$PORT"
    return 0
  fi
  log "not running"
  return 1
}

# One up/down at a time per checkout (two shells may run tools/testenv/up at once).
lock() { exec 9>"$dir/lock"; flock -w 900 9 || die "another up/down of this service is still running"; }

case "${1:-}" in
  up) lock; up ;;
  down) lock; down ;;
  status) status ;;
  *) die "usage: SERVICE=registry bash services/registry.sh up|down|status" ;;
esac
