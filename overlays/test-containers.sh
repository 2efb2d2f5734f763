#!/usr/bin/env bash
# `make test-containers`: the platform as images and containers. Builds every image (with the
# build cache), brings overlays/docker-compose.yml up, waits until every container is healthy,
# runs the end-to-end journeys through the compose gateway, then tears everything down with its
# volumes. Exits non-zero on any failure and says at which step.
#
# Images come from a registry when one answers; otherwise overlays/standins.sh builds local
# stand-ins (FIUFIT_STANDINS=1 forces them, FIUFIT_STANDINS=0 forbids them).
# FIUFIT_COMPOSE_GATEWAY_PORT (default 18080) is the host port of the compose gateway.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DATA=${FIUFIT_DATA:-$ROOT/.local}
export FIUFIT_COMPOSE_GATEWAY_PORT=${FIUFIT_COMPOSE_GATEWAY_PORT:-18080}
LOGS="$DATA/logs/containers"
mkdir -p "$LOGS"
started=$(date +%s)

step() { printf '=== containers: %s (%ss)\n' "$*" "$(($(date +%s) - started))"; }
fail() {
  echo "test-containers: FAILED at: $*" >&2
  exit 1
}

compose=(docker compose -f overlays/docker-compose.yml)
teardown() {
  if [ "${compose_up:-0}" = 1 ]; then
    step "tear down (containers, networks, volumes)"
    "${compose[@]}" logs --no-color >"$LOGS/compose.log" 2>&1 || true
    "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  overlays/docker.sh stop
}
trap teardown EXIT

step "Docker engine and compose plugin"
overlays/docker.sh start || fail "starting a Docker engine (overlays/docker.sh start)"

use_standins=${FIUFIT_STANDINS:-auto}
if [ "$use_standins" = auto ]; then
  # A registry that answers gives the official images; a refusal comes at once here.
  if timeout 60 docker pull -q redis:7.4-alpine >/dev/null 2>&1; then use_standins=0; else use_standins=1; fi
fi
if [ "$use_standins" = 1 ]; then
  step "no image registry: stand-in images (overlays/standins.sh)"
  overlays/standins.sh || fail "building the stand-in images"
  compose+=(--env-file "$DATA/standins.env")
fi

step "build every image"
"${compose[@]}" build >"$LOGS/build.log" 2>&1 || {
  tail -n 40 "$LOGS/build.log" >&2
  fail "docker compose build (log: $LOGS/build.log)"
}
for image in $("${compose[@]}" config --images | sort -u); do
  case "$image" in
    fiufit/*) printf '  %-36s %s\n' "$image" "$(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1 / 1e6}')" ;;
  esac
done

step "compose up, waiting for every container to be healthy"
compose_up=1
"${compose[@]}" up -d --wait --wait-timeout "${FIUFIT_COMPOSE_WAIT:-600}" >"$LOGS/up.log" 2>&1 || {
  tail -n 20 "$LOGS/up.log" >&2
  "${compose[@]}" ps -a >&2
  for service in $("${compose[@]}" ps -a --format '{{.Service}} {{.Health}} {{.State}}' \
    | awk '$2 == "unhealthy" || $3 == "exited" {print $1}'); do
    echo "--- $service (last lines)" >&2
    "${compose[@]}" logs --no-color --tail 20 "$service" >&2
  done
  fail "docker compose up (log: $LOGS/up.log)"
}

step "the client journeys through the compose gateway (port $FIUFIT_COMPOSE_GATEWAY_PORT)"
make -C overlays/e2e --no-print-directory lint >/dev/null || fail "e2e lint"
FIUFIT_GATEWAY_URL="http://127.0.0.1:$FIUFIT_COMPOSE_GATEWAY_PORT" \
  FIUFIT_STACK_LOG_COMMAND="${compose[*]/#overlays/$PWD/overlays} logs --no-color" \
  FIUFIT_USERS_SQL_COMMAND="${compose[*]/#overlays/$PWD/overlays} exec -T postgres psql -v ON_ERROR_STOP=1 -q -U postgres -d users" \
  make -C overlays/e2e --no-print-directory test || fail "the end-to-end journeys against compose"

step "passed"
