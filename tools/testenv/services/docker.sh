#!/usr/bin/env bash
# services/docker.sh up|down|status — a private Docker engine for the tests, plus the base images.
#
# Engine: Debian's docker.io (dockerd 20.10) started by hand with --bridge=none --iptables=false
# --ip-forward=false --ip-masq=false, so it changes nothing on the host network (no docker0, no
# iptables rules, ip_forward untouched). Its socket, config, data-root, exec-root and pidfiles all live
# under $TESTENV_STATE/docker, so it never meets another engine on the machine.
# Containers get either no network at all (the default) or the host's (`--network host`,
# HostConfig.NetworkMode='host'): then 127.0.0.1 inside the container is the host's loopback, which is
# how a container reaches the other test services. -p and `docker network create` are not available.
#
# Base images, built with no pull (there is no registry to pull from): a minimal root filesystem is
# assembled from the host's own files and `docker import`ed.
#   flowenv/node-base:20  host node + the libraries ldd lists, dash as /bin/sh, busybox applets,
#                         /etc/passwd,group (root, node:1000), /tmp (1777), /app
#   flowenv/dask-base:20  the same plus Debian's python3 (files from the dpkg lists of its dependency
#                         closure + their libraries) and Dask: the exact pins of the Dask test cluster
#                         (tools/testenv/requirements-dask.txt, pip-installed for that python into
#                         /usr/local/lib/python3.X/dist-packages, commands in /usr/local/bin), so
#                         containers and the host cluster speak the same version; without that file,
#                         Debian's python3-distributed (2022.12.1) instead.
# The assembled tarballs are cached in $TESTENV_STATE/docker/cache, keyed by a hash of their inputs;
# the image carries that key as a label, so a repeated `up` imports nothing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NODE_IMAGE=flowenv/node-base:20
DASK_IMAGE=flowenv/dask-base:20
INPUTS_LABEL=org.flowenv.testenv.inputs
IMAGE_PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin

DASK_REQUIREMENTS=$TESTENV_ROOT/tools/testenv/requirements-dask.txt
SYSTEM_PYTHON=/usr/bin/python3   # Debian's, never the pyenv one on PATH

dir=$(service_dir docker)
# A unix socket path is limited to 107 bytes and containerd's socket sits ~40 bytes deep in the
# exec-root: with a long checkout path, keep the sockets in a short per-checkout folder instead.
if [ ${#dir} -le 60 ]; then run=$dir; else run=/tmp/flowenv-docker-$(printf %s "$dir" | sha256sum | cut -c1-12); fi
sock=$run/docker.sock
execroot=$run/exec
dataroot=$dir/data
cache=$dir/cache
pidfile=$dir/pid                  # start_daemon's record of the dockerd we started
dockerd_pidfile=$dir/dockerd.pid  # dockerd's own --pidfile (it refuses to start while it names a live PID)
export DOCKER_HOST=unix://$sock
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
# Shared with the venvs of services/dask.sh: the same pins download once.
export PIP_CACHE_DIR=${PIP_CACHE_DIR:-$TESTENV_STATE/pip-cache} PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

# ------------------------------------------------------------------------------------------- engine

# since START — seconds elapsed since START (an EPOCHREALTIME without its dot), for the log.
since() { local ms=$(( (${EPOCHREALTIME/./} - $1) / 1000 )); printf '%d.%03ds' $((ms / 1000)) $((ms % 1000)); }

engine_answers() { curl -sf -m 2 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; }
engine_ours() { pid_owned "$pidfile" "$sock"; }

install_packages() {
  local packages=(docker.io curl python3)
  if [ -f "$DASK_REQUIREMENTS" ]; then packages+=(python3-pip); else packages+=(python3-distributed); fi
  # busybox-static conflicts with busybox: take whichever is there, install the static one otherwise.
  command -v busybox >/dev/null || packages+=(busybox-static)
  apt_install "${packages[@]}"
}

# Mounts a SIGKILLed dockerd leaves behind (data-root bind, netns, overlays), deepest first; only
# under our own data-root/exec-root, and only while no dockerd of ours runs.
unmount_leftovers() {
  local mountpoint
  awk -v a="$dataroot" -v b="$execroot" \
    '$5 == a || index($5, a "/") == 1 || $5 == b || index($5, b "/") == 1 { print $5 }' /proc/self/mountinfo \
    | sort -r | while read -r mountpoint; do
      umount "$mountpoint" 2>/dev/null || umount -l "$mountpoint" 2>/dev/null || log "warning: cannot unmount $mountpoint"
    done
}

start_engine() {
  forget_stale_pidfile "$pidfile" "$sock"
  if ! engine_ours; then
    engine_answers && die "an engine we did not start answers on $sock; leaving it alone"
    rm -f "$dockerd_pidfile"   # left by a dockerd that was killed: the PID may belong to someone else now
    mkdir -p "$dataroot" "$execroot"
    # Our own (empty) daemon config: never read the host's /etc/docker/daemon.json.
    [ -f "$dir/daemon.json" ] || echo '{}' >"$dir/daemon.json"
    log "starting dockerd (no bridge, no iptables; socket $sock)"
    # Debian's engine and, for its children (containerd, runc, docker-init), Debian's PATH.
    start_daemon "$pidfile" "$dir/dockerd.log" env PATH=/usr/sbin:/usr/bin:/sbin:/bin /usr/sbin/dockerd \
      --config-file "$dir/daemon.json" \
      --host "unix://$sock" \
      --data-root "$dataroot" \
      --exec-root "$execroot" \
      --pidfile "$dockerd_pidfile" \
      --bridge=none --iptables=false --ip-forward=false --ip-masq=false --userland-proxy=false \
      --containerd-namespace flowenv-testenv --containerd-plugins-namespace flowenv-testenv-plugins \
      9>&-   # the daemon must not inherit (and so hold) our lock
  fi
  local _
  for _ in $(seq 1 300); do
    engine_answers && return 0
    engine_ours || { tail -n 20 "$dir/dockerd.log" >&2; die "dockerd exited; see $dir/dockerd.log"; }
    sleep 0.1
  done
  tail -n 20 "$dir/dockerd.log" >&2
  die "dockerd (pid $(cat "$pidfile")) does not answer on $sock after 30s; see $dir/dockerd.log"
}

# ------------------------------------------------------------------------------ root filesystems

# stage_copy STAGE SRC [DEST] — copies SRC, dereferenced, to DEST (default: SRC's canonical path).
stage_copy() {
  local stage=$1 src=$2 dest=${3:-}
  [ -n "$dest" ] || dest=$(readlink -f "$(dirname "$src")")/$(basename "$src")
  [ -e "$stage$dest" ] && return 0
  mkdir -p "$stage$(dirname "$dest")"
  cp -L --preserve=mode "$src" "$stage$dest"
}

# stage_libraries STAGE FILE... — copies every shared library the dynamic loader would map for FILEs.
stage_libraries() {
  local stage=$1 lib; shift
  while read -r lib; do
    [[ $lib == "$stage"/* ]] || stage_copy "$stage" "$lib"   # bundled next to a wheel's module: there already
  done < <(
    { printf '%s\0' "$@" | xargs -0 ldd 2>/dev/null || true; } \
      | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(0x/ { print $1 }' | sort -u)
}

stage_node() {
  local stage=$1 d applet
  for d in bin lib lib64 sbin; do  # mirror the host's merged /usr (or not)
    if [ -L "/$d" ]; then ln -s "usr/$d" "$stage/$d"; else mkdir -p "$stage/$d"; fi
  done
  mkdir -p "$stage"/usr/{bin,sbin,lib,local/bin} "$stage"/{etc,app,root,tmp}
  chmod 1777 "$stage/tmp"; chmod 700 "$stage/root"
  stage_copy "$stage" "$(command -v node)" /usr/bin/node
  stage_copy "$stage" "$(command -v dash)" /usr/bin/dash
  ln -s dash "$stage/usr/bin/sh"
  local elves=("$stage/usr/bin/node" "$stage/usr/bin/dash")
  if command -v busybox >/dev/null; then  # a small toolbox for debugging (ls, cat, ps, wget…)
    stage_copy "$stage" "$(command -v busybox)" /usr/bin/busybox
    elves+=("$stage/usr/bin/busybox")
    for applet in $(busybox --list); do
      [ -e "$stage/usr/bin/$applet" ] || [ -e "$stage/usr/sbin/$applet" ] || ln -s busybox "$stage/usr/bin/$applet"
    done
  fi
  stage_libraries "$stage" "${elves[@]}"
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'node:x:1000:1000:node:/app:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$stage/etc/passwd"
  printf '%s\n' 'root:x:0:' 'node:x:1000:' 'nogroup:x:65534:' >"$stage/etc/group"
  # Without this file glibc asks DNS before /etc/hosts.
  printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' >"$stage/etc/nsswitch.conf"
}

# python_packages ROOT — ROOT and the installed packages it needs, transitively ("name version"
# lines): the first installed alternative of each dependency, virtual names through Provides.
python_packages() {
  dpkg-query -W -f='${db:Status-Abbrev}\t${Package}\t${Version}\t${Provides}\t${Depends}, ${Pre-Depends}\n' \
    | awk -F'\t' -v root="$1" '
      function resolve(name) {
        sub(/^ +/, "", name); sub(/[ (].*/, "", name); sub(/:.*/, "", name)
        if (name in version) return name
        if (name in provider) return provider[name]
        return ""
      }
      $1 ~ /^ii/ {
        version[$2] = $3; depends[$2] = $5
        n = split($4, provided, / *, */)
        for (i = 1; i <= n; i++) { p = provided[i]; sub(/[ :].*/, "", p); if (p != "" && !(p in provider)) provider[p] = $2 }
      }
      END {
        if (!(root in version)) exit 1
        queue[0] = root; seen[root] = 1; head = 0; tail = 1
        while (head < tail) {
          n = split(depends[queue[head++]], groups, / *, */)
          for (i = 1; i <= n; i++) {
            m = split(groups[i], alternatives, / *\| */); found = ""
            for (j = 1; j <= m && found == ""; j++) found = resolve(alternatives[j])
            if (found != "" && !(found in seen)) { seen[found] = 1; queue[tail++] = found }
          }
        }
        for (p in seen) print p, version[p]
      }' | sort
}

# The Debian package whose closure gives the image its python (and, without pins, its Dask).
python_root() { if [ -f "$DASK_REQUIREMENTS" ]; then echo python3; else echo python3-distributed; fi; }

# pinned_site — a folder holding the pinned Dask packages, pip-installed for Debian's python (cached).
pinned_site() {
  local key; key=$({ cat "$DASK_REQUIREMENTS"; "$SYSTEM_PYTHON" --version; } | sha256sum | cut -c1-16)
  local site=$cache/site-$key
  if [ ! -d "$site" ]; then
    log "pip install -r ${DASK_REQUIREMENTS#"$TESTENV_ROOT"/} for $("$SYSTEM_PYTHON" --version) (into the image only)"
    rm -rf "$cache"/site-*
    # --target: nothing lands in the host's python; PEP 668 does not apply to a private folder.
    "$SYSTEM_PYTHON" -m pip install -q --no-warn-script-location --root-user-action=ignore --break-system-packages \
      --target "$site.tmp" -r "$DASK_REQUIREMENTS" >&2
    mv "$site.tmp" "$site"
  fi
  printf '%s' "$site"
}

stage_python() {
  local stage=$1 path
  local list=$stage.files pycache=$stage.pycache
  # Python's own files from every package in the closure: interpreter, stdlib, dist-packages, the
  # sitecustomize in /etc, and the commands of the python3-* packages (dask-scheduler, dask-worker…).
  # Their native libraries come from ldd below, not from the package lists.
  local packages; packages=$(python_packages "$(python_root)" | cut -d' ' -f1)
  { dpkg-query -L $packages | grep -E '^(/usr/lib/python3[^/]*/|/usr/bin/python3|/etc/python3)'
    dpkg-query -L $(grep '^python3-' <<<"$packages") | grep '^/usr/bin/'
  } | sort -u | while read -r path; do
    if [ -e "$path" ] || [ -L "$path" ]; then printf '%s\n' "${path#/}"; fi
  done >"$list"
  # Debian byte-compiles at install time; the .pyc files are in no package list, so bring the
  # __pycache__ folder next to each module (imports are then as fast as on the host).
  grep '\.py$' "$list" | sed 's|/[^/]*$||' | sort -u | while read -r path; do
    if [ -d "/$path/__pycache__" ]; then printf '%s\n' "$path/__pycache__"; fi
  done >"$pycache"
  tar -C / --no-recursion -cf - -T "$list" | tar -C "$stage" -xf -
  tar -C / -cf - -T "$pycache" | tar -C "$stage" -xf -
  rm -f "$list" "$pycache"
  if [ -f "$DASK_REQUIREMENTS" ]; then
    local site target; site=$(pinned_site)
    target=$stage/usr/local/lib/python$("$SYSTEM_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')/dist-packages
    mkdir -p "$target" "$stage/usr/local/bin"
    cp -a "$site/." "$target/"
    if [ -d "$target/bin" ]; then mv "$target/bin/"* "$stage/usr/local/bin/"; rmdir "$target/bin"; fi
  fi
  local elves=()
  mkdir -p "$stage/usr/local/lib"
  mapfile -d '' elves < <(find "$stage/usr/lib" "$stage/usr/local/lib" "$stage/usr/bin" -type f \
    \( -name '*.so' -o -name '*.so.*' -o -name 'python3*' \) -print0)
  stage_libraries "$stage" "${elves[@]}"
}

stage_dask() { stage_node "$1"; stage_python "$1"; }

# Input keys: what went into a root filesystem (the recipe itself, the files' identity, the package
# versions). A change rebuilds the image; nothing else does.
file_ids() { local f; for f in "$@"; do stat -L -c '%n %s %Y' "$(command -v "$f")"; done; }
node_key() {
  { declare -f stage_node stage_copy stage_libraries; echo "$NODE_IMAGE $IMAGE_PATH"
    file_ids node dash; command -v busybox >/dev/null && file_ids busybox; } | sha256sum | cut -c1-16
}
dask_key() {
  { node_key; declare -f stage_python python_packages python_root pinned_site; echo "$DASK_IMAGE"
    python_packages "$(python_root)"; [ ! -f "$DASK_REQUIREMENTS" ] || cat "$DASK_REQUIREMENTS"; } \
    | sha256sum | cut -c1-16
}

# ensure_image IMAGE KEY STAGE_FUNCTION CHECK... — imports IMAGE unless it already carries KEY; a new
# image must run CHECK (a command inside it) or it is removed again.
ensure_image() {
  local image=$1 key=$2 stage_function=$3; shift 3
  local have; have=$(docker image inspect -f "{{ index .Config.Labels \"$INPUTS_LABEL\" }}" "$image" 2>/dev/null || true)
  if [ "$have" = "$key" ]; then log "$image: present (inputs $key)"; return 0; fi
  local slug=${image//[\/:]/-}; local tarball=$cache/$slug-$key.tar
  mkdir -p "$cache"
  local t=${EPOCHREALTIME/./}
  if [ ! -f "$tarball" ]; then
    log "$image: assembling its root filesystem from the host"
    rm -f "$cache/$slug-"*.tar
    local stage; stage=$(mktemp -d "$cache/stage.XXXXXX")
    "$stage_function" "$stage"
    tar --numeric-owner -C "$stage" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$stage"
    log "$image: root filesystem assembled ($(since "$t"))"; t=${EPOCHREALTIME/./}
  fi
  local previous; previous=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  log "$image: importing $(du -m "$tarball" | cut -f1) MB"
  docker import \
    -c "LABEL $INPUTS_LABEL=$key" \
    -c "ENV PATH=$IMAGE_PATH" \
    -c 'ENV LANG=C.UTF-8' \
    -c 'CMD ["node"]' \
    "$tarball" "$image" >/dev/null
  if ! docker run --rm --network none "$image" "$@" >/dev/null 2>"$dir/check.log"; then
    docker rmi "$image" >/dev/null 2>&1 || true
    rm -f "$tarball"
    cat "$dir/check.log" >&2
    die "$image cannot run: $*"
  fi
  log "$image: imported and checked ($(since "$t"))"
  # The image this one replaces, unless something still uses it.
  [ -z "$previous" ] || docker rmi "$previous" >/dev/null 2>&1 || true
}

# ----------------------------------------------------------------------------------------- verbs

up() {
  local t=${EPOCHREALTIME/./}
  install_packages
  log "packages ready ($(since "$t"))"; t=${EPOCHREALTIME/./}
  start_engine
  log "dockerd running (pid $(cat "$pidfile"), $(docker version -f '{{.Server.Version}}' 2>/dev/null)) ($(since "$t"))"
  t=${EPOCHREALTIME/./}
  # Half-written stages of an interrupted run.
  rm -rf "$cache"/stage.* "$cache"/*.tmp
  ensure_image "$NODE_IMAGE" "$(node_key)" stage_node node -e 'require("os")'
  ensure_image "$DASK_IMAGE" "$(dask_key)" stage_dask \
    sh -c 'node -e 1 && python3 -c "import distributed, distributed.cli.dask_worker"'
  log "images ready ($(since "$t"))"
  local distributed
  if [ -f "$DASK_REQUIREMENTS" ]; then
    distributed=$(sed -n 's/^distributed==\([^ ;#]*\).*/\1/p' "$DASK_REQUIREMENTS")
  else
    distributed=$(dpkg-query -W -f='${Version}' python3-distributed); distributed=${distributed%%+*}
  fi
  write_env docker \
    "DOCKER_HOST=unix://$sock" \
    "FLOWENV_DOCKER_NETWORK_MODE=host" \
    "FLOWENV_NODE_BASE_IMAGE=$NODE_IMAGE" \
    "FLOWENV_DASK_BASE_IMAGE=$DASK_IMAGE" \
    "FLOWENV_DASK_BASE_DISTRIBUTED_VERSION=$distributed"
}

down() {
  forget_stale_pidfile "$pidfile" "$sock"
  if engine_ours; then
    log "stopping dockerd (pid $(cat "$pidfile"))"
    # dockerd stops its containers (up to 15 s each) and its own containerd, then exits.
    stop_pidfile "$pidfile" 40
  else
    log "dockerd: not running"
  fi
  rm -f "$pidfile" "$dockerd_pidfile" "$dir/env" "$sock"
  unmount_leftovers
}

status() {
  forget_stale_pidfile "$pidfile" "$sock"
  if engine_ours && engine_answers; then
    log "running: dockerd pid $(cat "$pidfile") on $sock"
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
  *) die "usage: SERVICE=docker bash services/docker.sh up|down|status" ;;
esac
