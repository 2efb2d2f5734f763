#!/usr/bin/env bash
# A Docker engine and the compose plugin for `make test-containers`, on machines that have
# neither. Whatever already works is reused and left alone; a daemon started here is recorded
# by pid under $FIUFIT_DATA/run and only that one is stopped.
#
#   overlays/docker.sh install   Debian's docker.io and debootstrap if missing; compose v2 if missing
#   overlays/docker.sh start     install, then start dockerd unless an engine already answers
#   overlays/docker.sh stop      stop the daemon this script started (none otherwise)
#   overlays/docker.sh available exit 0 when an engine answers or can be started here
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${FIUFIT_DATA:-$ROOT/.local}
RUN="$DATA/run"
LOGS="$DATA/logs"
# Debian's next release ships compose v2 (2.26); bookworm has only the v1 Python tool.
COMPOSE_SUITE=${FIUFIT_COMPOSE_SUITE:-trixie}
COMPOSE_MIRROR=${FIUFIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}

log() { printf '[docker] %s\n' "$*" >&2; }

engine_answers() { docker info >/dev/null 2>&1; }

compose_works() { docker compose version >/dev/null 2>&1; }

apt_install() {
  [ "$(id -u)" = 0 ] || { log "missing $*: install them (apt-get, as root) and retry"; exit 1; }
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

install_compose() {
  # One .deb from the next release, fetched with a private apt state so the machine's own
  # sources and package lists are untouched; only the plugin binary is kept.
  local work plugins
  work=$(mktemp -d)
  mkdir -p "$work/lists/partial" "$work/archives/partial"
  touch "$work/status"
  echo "deb $COMPOSE_MIRROR $COMPOSE_SUITE main" >"$work/sources.list"
  local apt_opts=(
    -o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$work/lists" -o "Dir::State::status=$work/status"
    -o "Dir::Cache::archives=$work/archives" -o "APT::Sandbox::User=root"
  )
  log "compose plugin: docker-compose from Debian $COMPOSE_SUITE"
  apt-get "${apt_opts[@]}" update -qq
  (cd "$work" && apt-get "${apt_opts[@]}" download -qq docker-compose)
  dpkg-deb -x "$work"/docker-compose_*.deb "$work/x"
  if [ "$(id -u)" = 0 ]; then plugins=/usr/local/lib/docker/cli-plugins; else plugins=$HOME/.docker/cli-plugins; fi
  mkdir -p "$plugins"
  install -m 0755 "$work/x/usr/libexec/docker/cli-plugins/docker-compose" "$plugins/docker-compose"
  rm -rf "$work"
  compose_works || { log "the compose plugin in $plugins does not run"; exit 1; }
}

install_all() {
  local missing=()
  command -v dockerd >/dev/null || engine_answers || missing+=(docker.io)
  command -v docker >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  [ ${#missing[@]} -eq 0 ] || apt_install $(printf '%s\n' "${missing[@]}" | sort -u)
  compose_works || install_compose
}

start() {
  install_all
  if engine_answers; then log "reusing the running engine"; return; fi
  mkdir -p "$RUN" "$LOGS"
  [ "$(id -u)" = 0 ] || { log "dockerd must be started as root"; exit 1; }
  log "starting dockerd (log: $LOGS/dockerd.log)"
  setsid dockerd --storage-driver=overlay2 >"$LOGS/dockerd.log" 2>&1 </dev/null &
  echo $! >"$RUN/dockerd.pid"
  local i
  for ((i = 0; i < 300; i++)); do
    engine_answers && return 0
    kill -0 "$(cat "$RUN/dockerd.pid")" 2>/dev/null || break
    sleep 0.1
  done
  log "dockerd did not come up; its log:"
  tail -n 30 "$LOGS/dockerd.log" >&2
  exit 1
}

stop() {
  local pid i
  [ -f "$RUN/dockerd.pid" ] || return 0
  pid=$(cat "$RUN/dockerd.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    # dockerd stops its containers first (10 s each at most), then exits.
    for ((i = 0; i < 600; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    log "dockerd: stopped (pid $pid)"
  fi
  rm -f "$RUN/dockerd.pid"
}

available() {
  engine_answers && return 0
  [ "$(id -u)" = 0 ] || return 1
  command -v dockerd >/dev/null && return 0
  # grep reads everything (no -q): with pipefail, an early exit would SIGPIPE apt-cache (141)
  # and turn "installable" into "not available".
  apt-cache policy docker.io 2>/dev/null | grep 'Candidate: [0-9]' >/dev/null
}

case "${1:-}" in
  install) install_all ;;
  start) start ;;
  stop) stop ;;
  available) available ;;
  *) echo "usage: $0 install|start|stop|available" >&2; exit 2 ;;
esac
