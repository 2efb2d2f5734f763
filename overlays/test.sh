#!/usr/bin/env bash
# `make test`: install every service's environment, start the real components the tests use,
# run each service's linters and tests, stop what was started, and fail on any failure.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

services=$(overlays/services.sh)
if [ -z "$services" ]; then
  echo "no service to test" >&2
  exit 1
fi

# Fresh in-memory stores for components started here; running ones are reused.
export FIUFIT_EPHEMERAL=1
trap 'overlays/infra.sh stop' EXIT
overlays/infra.sh start || exit 1
# Services other than authentication get their tokens and images from a running one, and
# users moves money through a running payment service.
overlays/infra.sh start auth || exit 1
if [ -f payment/pyproject.toml ]; then overlays/infra.sh start payment || exit 1; fi

set -a
# shellcheck disable=SC1091
source overlays/local.env
set +a

failed=()
overlays/validate.sh || failed+=("deployment files (overlays/validate.sh)")
for service in $services; do
  echo "=== $service: lint"
  make -C "$service" --no-print-directory lint || { failed+=("$service (lint)"); continue; }
  echo "=== $service: tests"
  make -C "$service" --no-print-directory test || failed+=("$service (tests)")
done

# End to end: the whole stack as `make up` runs it, driven through the gateway only.
if [ -f overlays/e2e/pyproject.toml ]; then
  echo "=== end to end: the client journeys through the gateway"
  overlays/infra.sh stop auth payment  # make up runs its own
  gateway_port=${FIUFIT_GATEWAY_PORT:-8080}
  FIUFIT_GATEWAY_PORT=$gateway_port overlays/up.sh >"$ROOT/.local/logs/stack.log" 2>&1 &
  stack=$!
  for _ in $(seq 1 180); do
    grep -q "FiuFit is up" "$ROOT/.local/logs/stack.log" && break
    kill -0 "$stack" 2>/dev/null || break
    sleep 1
  done
  if grep -q "FiuFit is up" "$ROOT/.local/logs/stack.log"; then
    make -C overlays/e2e --no-print-directory lint || failed+=("e2e (lint)")
    FIUFIT_GATEWAY_URL="http://127.0.0.1:$gateway_port" FIUFIT_STACK_LOG="$ROOT/.local/logs/stack.log" \
      make -C overlays/e2e --no-print-directory test \
      || failed+=("e2e (journeys)")
  else
    echo "the stack did not come up; its log:" >&2
    tail -n 60 "$ROOT/.local/logs/stack.log" >&2
    failed+=("e2e (stack)")
  fi
  kill -TERM "$stack" 2>/dev/null || true
  wait "$stack" 2>/dev/null || true
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "all services passed: $(echo $services)"
