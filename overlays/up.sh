#!/usr/bin/env bash
# `make up`: the infrastructure, every service's migrations, every service and the nginx gateway
# in the foreground under honcho. Ctrl-C or SIGTERM stops the services and the gateway, then
# what infra.sh started. Data under .local/ survives a restart (`make wipe` deletes it).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DATA=${FIUFIT_DATA:-$ROOT/.local}
GATEWAY_PORT=${FIUFIT_GATEWAY_PORT:-8080}
export FIUFIT_EPHEMERAL=0

# A chain started afresh (first run, or after `make wipe`) needs a ledger to match: the payment
# database of an earlier chain holds movements this one never saw, which payment would
# rebroadcast for ever. The Postgres server may outlive .local (a machine's own server).
fresh_chain=0
[ -s "$DATA/anvil/state.json" ] || fresh_chain=1
overlays/infra.sh start
if [ "$fresh_chain" = 1 ] && [ -f payment/pyproject.toml ]; then
  psql -h 127.0.0.1 -U postgres -q -c "drop database if exists payment with (force)" \
    -c "create database payment" >/dev/null
  echo "[up] a new chain: the payment database starts empty"
fi
honcho_pid=
stop() {
  trap - EXIT INT TERM
  if [ -n "$honcho_pid" ] && kill -0 "$honcho_pid" 2>/dev/null; then
    kill -TERM "$honcho_pid" 2>/dev/null || true
    wait "$honcho_pid" 2>/dev/null || true
  fi
  overlays/infra.sh stop
}
trap stop EXIT INT TERM

set -a
# shellcheck disable=SC1091
source overlays/local.env
set +a
AUTH_JWT_PRIVATE_KEY=$(cat "$(overlays/infra.sh jwt-key)")
export AUTH_JWT_PRIVATE_KEY

services=$(overlays/services.sh)
procfile="$DATA/Procfile"
: >"$procfile"
for service in $services; do
  make -C "$service" --no-print-directory install
  if grep -q '^migrate:' "$service/Makefile"; then make -C "$service" --no-print-directory migrate; fi
  # Each service installs console scripts named fiufit-<service> (and metrics-consumer).
  for script in "$service"/.venv/bin/fiufit-* "$service"/.venv/bin/metrics-consumer; do
    [ -x "$script" ] && echo "$(basename "$script"): exec $ROOT/$script" >>"$procfile"
  done
done

# The gateway: the ingress's routing table on one port.
mkdir -p "$DATA/nginx"
sed -e "s|\${DATA}|$DATA|g" -e "s|\${GATEWAY_PORT}|$GATEWAY_PORT|g" \
  overlays/nginx.conf.template >"$DATA/nginx/nginx.conf"
echo "gateway: exec nginx -c $DATA/nginx/nginx.conf -p $DATA/nginx -g 'daemon off;'" >>"$procfile"

"$DATA/venv/bin/honcho" start -f "$procfile" -d "$ROOT" &
honcho_pid=$!

# Announce once every public service answers through the gateway.
gateway="http://127.0.0.1:$GATEWAY_PORT"
for _ in $(seq 1 120); do
  ready=1
  for prefix in users trainings goals metrics; do
    [ -d "$prefix" ] && [ -f "$prefix/pyproject.toml" ] || continue
    curl -fs -o /dev/null "$gateway/$prefix/healthcheck/" || ready=0
  done
  [ "$ready" = 1 ] && break
  kill -0 "$honcho_pid" 2>/dev/null || exit 1
  sleep 1
done
cat <<MSG

FiuFit is up. Gateway (what the mobile app and the back office use): $gateway
  users      $gateway/users/documentation/
  trainings  $gateway/trainings/documentation/
  goals      $gateway/goals/documentation/
  metrics    $gateway/metrics/documentation/
  internal:  http://127.0.0.1:8002/auth/documentation/  http://127.0.0.1:8020/payment/documentation/
Bootstrap admin: ${USERS_BOOTSTRAP_ADMIN_EMAIL} / ${USERS_BOOTSTRAP_ADMIN_PASSWORD}
Try: curl -s -X POST $gateway/admins/login -H 'Content-Type: application/json' \\
       -d '{"email": "${USERS_BOOTSTRAP_ADMIN_EMAIL}", "password": "${USERS_BOOTSTRAP_ADMIN_PASSWORD}"}'
Ctrl-C stops everything.

MSG
wait "$honcho_pid" || true
