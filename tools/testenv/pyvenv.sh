# Helpers for services that run from a Python virtualenv (dask, moto). Sourced after lib.sh, never run.
# A venv is built from a pinned requirements file and stamped with that file's hash; it is rebuilt
# only when the stamp no longer matches (or the venv's interpreter stopped working).
set -euo pipefail

# Pip's cache (and our wheelhouse in it), shared by every venv testenv builds, so a rebuild on the same
# machine needs no download.
export PIP_CACHE_DIR=${PIP_CACHE_DIR:-$TESTENV_STATE/pip-cache}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

venv_stamp() { sha256sum <"$1" | cut -d' ' -f1; }

# venv_current VENV REQUIREMENTS — true when VENV was built from this exact REQUIREMENTS file and still runs.
venv_current() {
  local venv=$1 req=$2
  [ -x "$venv/bin/python" ] && [ -f "$venv/.testenv-stamp" ] || return 1
  [ "$(cat "$venv/.testenv-stamp")" = "$(venv_stamp "$req")" ] || return 1
  "$venv/bin/python" -c '' 2>/dev/null
}

# build_venv VENV REQUIREMENTS — (re)creates VENV with the python3 on PATH and installs REQUIREMENTS.
# With only Debian's python3 and no python3-venv, installs python3-venv first.
build_venv() {
  local venv=$1 req=$2
  command -v python3 >/dev/null || apt_install python3 python3-venv
  rm -rf "$venv"
  log "creating $venv with $(python3 -c 'import sys; print(sys.executable, sys.version.split()[0])')"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    rm -rf "$venv"
    apt_install python3-venv
    python3 -m venv "$venv" >&2
  fi
  # Pip's HTTP cache stays empty here (the registry's responses carry no caching headers), so the
  # pinned wheels are kept in a wheelhouse of our own and installed offline from it when all are there.
  local wheels=$PIP_CACHE_DIR/wheelhouse
  if ! "$venv/bin/python" -m pip install -q --no-index --find-links "$wheels" -r "$req" >/dev/null 2>&1; then
    log "pip wheel -r ${req#"$TESTENV_ROOT"/} (into the wheelhouse)"
    "$venv/bin/python" -m pip wheel -q --find-links "$wheels" -w "$wheels" -r "$req" >&2
    log "pip install -r ${req#"$TESTENV_ROOT"/}"
    "$venv/bin/python" -m pip install -q --no-index --find-links "$wheels" -r "$req" >&2
  fi
  # Written last: an interrupted build has no stamp and is redone by the next up.
  venv_stamp "$req" >"$venv/.testenv-stamp"
}

# port_open HOST PORT — one immediate TCP connect attempt.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# ours_in_session SID NEEDLE — PIDs of the live processes in session SID whose command line contains
# NEEDLE (our venv path). start_daemon gives every daemon a session of its own (sid = its PID), so this
# also finds children (Dask's worker processes) left behind by a daemon that died. Zombies have an
# empty command line and are never listed: exited daemons are re-parented to PID 1, which reaps them
# only after a second or two here, so kill -0 alone would call them alive.
ours_in_session() {
  local p
  for p in $(ps -s "$1" -o pid= 2>/dev/null); do
    [[ $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") == *"$2"* ]] && echo "$p"
  done
  return 0
}

# stop_ours PIDFILE NEEDLE [SECONDS] — TERMs our processes in the recorded daemon's session, waits until
# none is left, KILLs the rest after SECONDS, forgets the pidfile. Nothing else is ever signalled.
stop_ours() {
  local pidfile=$1 needle=$2 grace=${3:-10}
  [ -f "$pidfile" ] || return 0
  local sid pids; sid=$(cat "$pidfile")
  [[ $sid =~ ^[0-9]+$ ]] || { rm -f "$pidfile"; return 0; }
  pids=$(ours_in_session "$sid" "$needle")
  if [ -n "$pids" ]; then
    kill -TERM $pids 2>/dev/null || true
    for _ in $(seq 1 $((grace * 10))); do [ -z "$(ours_in_session "$sid" "$needle")" ] && break; sleep 0.1; done
    pids=$(ours_in_session "$sid" "$needle")
    if [ -n "$pids" ]; then
      log "${pidfile##*/}: still running after ${grace}s, sending KILL to" $pids
      kill -KILL $pids 2>/dev/null || true
      for _ in $(seq 1 30); do [ -z "$(ours_in_session "$sid" "$needle")" ] && break; sleep 0.1; done
      pids=$(ours_in_session "$sid" "$needle")
      [ -z "$pids" ] || die "${pidfile##*/}: processes survived SIGKILL:" $pids
    fi
  fi
  rm -f "$pidfile"
}
