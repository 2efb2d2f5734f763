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
for service in $services; do
  echo "=== $service: lint"
  make -C "$service" --no-print-directory lint || { failed+=("$service (lint)"); continue; }
  echo "=== $service: tests"
  make -C "$service" --no-print-directory test || failed+=("$service (tests)")
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "all services passed: $(echo $services)"
