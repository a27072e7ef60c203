# Shared helpers for tools/testenv service scripts. Sourced, never run.
# Every service keeps its state under $TESTENV_STATE/<service>/ and writes the variables tests
# need to $TESTENV_STATE/<service>/env (KEY=value lines, no quoting, no secrets beyond test ones).
set -euo pipefail

TESTENV_ROOT=${TESTENV_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TESTENV_STATE=${TESTENV_STATE:-$TESTENV_ROOT/.testenv}
export TESTENV_ROOT TESTENV_STATE

log() { printf '[testenv %s] %s\n' "${SERVICE:-?}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

service_dir() { mkdir -p "$TESTENV_STATE/$1" && printf '%s' "$TESTENV_STATE/$1"; }

# apt_install PKG... — installs Debian packages that are missing; runs apt-get update at most once per up.
apt_install() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ ! -f "$TESTENV_STATE/.apt-updated" ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
    touch "$TESTENV_STATE/.apt-updated"
  fi
  log "apt-get install ${missing[*]}"
  # Packaged daemons (docker.io, docker-registry, etcd…) must never be started by their postinst:
  # without a policy-rc.d, invoke-rc.d would run their init scripts (/sbin/init exists here).
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; made_policy=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2 \
    || { [ $made_policy = 0 ] || rm -f "$policy"; return 1; }
  [ $made_policy = 0 ] || rm -f "$policy"
}

# pid_owned PIDFILE NEEDLE — true when the pidfile names a live process whose command line contains
# NEEDLE (e.g. our own socket or config path). Guards against a stale pidfile whose PID was reused.
pid_owned() {
  local pid cmdline; pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $cmdline == *"$2"* ]]
}

# forget_stale_pidfile PIDFILE NEEDLE — removes the pidfile unless pid_owned; call before
# start_daemon/stop_pidfile so neither trusts (or signals) a PID that is no longer ours.
forget_stale_pidfile() { pid_owned "$1" "$2" || rm -f "$1"; }

# process_running PID — true for a live process; a zombie (exited, not yet reaped by PID 1) is not.
process_running() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# pid_alive PIDFILE — true when the pidfile names a live process.
pid_alive() { [ -f "$1" ] && process_running "$(cat "$1")"; }

# start_daemon PIDFILE LOGFILE CMD... — starts CMD detached in its own session, records its PID.
start_daemon() {
  local pidfile=$1 logfile=$2; shift 2
  if pid_alive "$pidfile"; then return 0; fi
  setsid nohup "$@" >>"$logfile" 2>&1 < /dev/null &
  echo $! >"$pidfile"
}

# stop_pidfile PIDFILE [SECONDS] — TERM the recorded process (and its process group), KILL after a grace period.
stop_pidfile() {
  local pidfile=$1 grace=${2:-10}
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((grace * 10))); do process_running "$pid" || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# wait_for_tcp HOST PORT SECONDS — waits until a TCP connect succeeds.
wait_for_tcp() {
  local host=$1 port=$2 seconds=$3
  for _ in $(seq 1 $((seconds * 10))); do
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# write_env SERVICE KEY=VALUE... — replaces the service's env fragment.
write_env() {
  local service=$1; shift
  local file; file="$(service_dir "$service")/env"
  printf '%s\n' "$@" >"$file.tmp" && mv "$file.tmp" "$file"
}
