#!/usr/bin/env bash
# GitLab CI only: start FiuFit services that another service's tests call (authentication,
# payment), in the background, against the CI services on 127.0.0.1 (overlays/local.env).
# Locally, overlays/infra.sh start auth payment does the same and more.
#   overlays/ci-start.sh authentication payment
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
set -a
# shellcheck disable=SC1091
source overlays/local.env
set +a
declare -A HEALTH=(
  [authentication]=http://127.0.0.1:8002/auth/healthcheck/
  [payment]=http://127.0.0.1:8020/payment/healthcheck/
)
mkdir -p .local/logs
for service in "$@"; do
  (
    cd "$service"
    uv sync --frozen --quiet
    if [ -d migrations ]; then
      db_url_var="$(echo "$service" | tr a-z A-Z)_DATABASE_URL"
      db_url=${!db_url_var}  # dbmate up creates the database when missing
      uv run --frozen dbmate --url "$db_url?sslmode=disable" --migrations-dir migrations \
        --no-dump-schema --wait up
    fi
    setsid ".venv/bin/fiufit-$service" >"$ROOT/.local/logs/$service.log" 2>&1 </dev/null &
  )
  for _ in $(seq 1 120); do
    curl -fs -o /dev/null "${HEALTH[$service]}" && continue 2
    sleep 1
  done
  tail -n 50 ".local/logs/$service.log" >&2
  exit 1
done
