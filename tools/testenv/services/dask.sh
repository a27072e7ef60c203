#!/usr/bin/env bash
# tools/testenv/services/dask.sh up|down|status|check — a Dask cluster on 127.0.0.1 for the tests:
# one scheduler (tcp://127.0.0.1:48786, no dashboard) and two workers (nanny + 1 thread each), every
# listener on 127.0.0.1, all from a venv with the distributed pinned in tools/testenv/requirements-dask.txt. Also makes Debian's
# python3-distributed (2022.12.1) available as a second flavour for compatibility tests (no cluster).
# Env written: DASK_ADDRESS, FLOWENV_DASK_PYTHON, FLOWENV_DASK_VERSION, FLOWENV_DASK_DEBIAN_PYTHON,
# FLOWENV_DASK_DEBIAN_VERSION (as distributed.__version__ reports them; Debian's is 2022.12.1+ds.1).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib.sh"
source "$here/pyvenv.sh"
SERVICE=${SERVICE:-dask}

dir=$(service_dir dask)
venv=$dir/venv
req=$here/requirements-dask.txt
host=127.0.0.1
port=48786
address=tcp://$host:$port
workers=(worker-1 worker-2)
debian_python=/usr/bin/python3
debian_expected=2022.12.1
# Our own config directory: ~/.config/dask must not change how the test cluster behaves.
export DASK_CONFIG=$dir/config

all_alive() {
  pid_owned "$dir/scheduler.pid" "$venv" || return 1
  for w in "${workers[@]}"; do pid_owned "$dir/$w.pid" "$venv" || return 1; done
}

stop_all() {
  rm -f "$dir/ready"
  for w in "${workers[@]}"; do stop_ours "$dir/$w.pid" "$venv"; done
  stop_ours "$dir/scheduler.pid" "$venv"
}

# Debian's python3-distributed: installed and checked once per package version.
debian_flavour() {
  apt_install python3-distributed
  local version; version=$(dpkg-query -W -f='${Version}' python3-distributed)
  if [ "$(head -n1 "$dir/debian.stamp" 2>/dev/null)" != "$version" ]; then
    local got
    got=$(cd / && "$debian_python" -c 'import distributed; print(distributed.__version__)' 2>>"$dir/debian-check.log") \
      || die "$debian_python cannot import distributed (see $dir/debian-check.log)"
    # Debian reports a local version suffix (2022.12.1+ds.1): compare the upstream part.
    [ "${got%%+*}" = "$debian_expected" ] || die "Debian's distributed is $got, tests expect $debian_expected"
    printf '%s\n%s\n' "$version" "$got" >"$dir/debian.stamp"
  fi
}

write_dask_env() {
  local vars=(
    "DASK_ADDRESS=$address"
    "FLOWENV_DASK_PYTHON=$venv/bin/python"
    "FLOWENV_DASK_VERSION=$(cat "$dir/version")"
  )
  if [ -f "$dir/debian.stamp" ]; then
    vars+=("FLOWENV_DASK_DEBIAN_PYTHON=$debian_python" "FLOWENV_DASK_DEBIAN_VERSION=$(sed -n 2p "$dir/debian.stamp")")
  fi
  write_env dask "${vars[@]}"
}

up() {
  if ! venv_current "$venv" "$req"; then
    stop_all                       # running daemons would be from the old venv
    build_venv "$venv" "$req"
    rm -f "$dir/version"
  fi
  [ -s "$dir/version" ] || "$venv/bin/python" -c 'import distributed; print(distributed.__version__)' >"$dir/version"
  if command -v apt-get >/dev/null; then
    debian_flavour
  else
    log "warning: no apt-get here, so no Debian python3-distributed flavour"
    rm -f "$dir/debian.stamp"
  fi

  # Daemons started by an older version of this script are restarted with the current arguments.
  local fingerprint; fingerprint=$(sha256sum <"${BASH_SOURCE[0]}" | cut -d' ' -f1)
  if [ -f "$dir/ready" ] && [ "$(cat "$dir/ready")" != "$fingerprint" ]; then
    log "${BASH_SOURCE[0]##*/} changed since the last up: restarting"
    stop_all
  fi
  # Fast path: everything we started is alive and was seen ready.
  if [ -f "$dir/ready" ] && all_alive && port_open "$host" "$port"; then
    write_dask_env
    return 0
  fi
  rm -f "$dir/ready"

  if ! pid_owned "$dir/scheduler.pid" "$venv"; then
    stop_ours "$dir/scheduler.pid" "$venv"     # what a dead daemon left in its session
    port_open "$host" "$port" && die "$host:$port is in use by a process testenv did not start"
    log "starting scheduler on $address"
    start_daemon "$dir/scheduler.pid" "$dir/scheduler.log" \
      "$venv/bin/dask" scheduler --host "$host" --port "$port" \
      --no-dashboard --dashboard-address "$host:0"   # its HTTP server (health, metrics) still starts: keep it on loopback
    wait_for_tcp "$host" "$port" 60 || die "scheduler did not listen on $host:$port (see $dir/scheduler.log)"
  fi
  for w in "${workers[@]}"; do
    pid_owned "$dir/$w.pid" "$venv" && continue
    stop_ours "$dir/$w.pid" "$venv"     # what a dead daemon left in its session
    mkdir -p "$dir/$w"
    log "starting $w"
    start_daemon "$dir/$w.pid" "$dir/$w.log" \
      "$venv/bin/dask" worker "$address" --host "$host" --nthreads 1 --nworkers 1 --nanny \
      --name "$w" --local-directory "$dir/$w" \
      --no-dashboard --dashboard-address "$host:0"
  done

  log "waiting for 2 workers"
  (cd / && "$venv/bin/python" - "$address" <<'PY') >&2 || die "workers did not join (see $dir/worker-*.log)"
import sys
from distributed import Client
with Client(sys.argv[1], timeout=30) as client:
    client.wait_for_workers(2, timeout=90)
    print(f"[testenv dask] scheduler has {len(client.scheduler_info()['workers'])} workers", file=sys.stderr)
PY
  echo "$fingerprint" >"$dir/ready"
  write_dask_env
}

down() {
  stop_all
  rm -f "$dir/env"
}

status() {
  all_alive && port_open "$host" "$port"
}

# check — submits two dependent tasks to the cluster and gathers the result.
check() {
  status || die "not running"
  (cd / && "$venv/bin/python" - "$address" <<'PY')
import sys
from distributed import Client
with Client(sys.argv[1], timeout=30) as client:
    a = client.submit(lambda x: x + 1, 41, pure=False)
    b = client.submit(lambda x: x * 2, a, pure=False)
    assert b.result(timeout=60) == 84
    workers = {w["name"] for w in client.scheduler_info()["workers"].values()}
    print(f"dask ok: 84 from {sorted(workers)}")
PY
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  check) check ;;
  *) die "usage: dask.sh up|down|status|check" ;;
esac
