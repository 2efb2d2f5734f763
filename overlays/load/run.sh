#!/usr/bin/env bash
# `make load` and `make soak`: locust, headless, against a running stack's gateway. It does not
# start the stack: run `make up` in another terminal first (as for `make seed`).
#
#   USERS     simulated users (default 25)        SPAWN     users started per second (default 5)
#   DURATION  how long, locust's 90s/2m/1h (default 1m; 10m with SOAK=1)
#   SOAK=1    also sample every service's RSS at the start and every 30 s, and judge it flat
#   THINK     seconds between two journeys of one user, low-high (default 1-3)
#   FIUFIT_GATEWAY_URL  the gateway (default http://127.0.0.1:8080)
#
# Exit code: 0 when every request got a status its client expects (and, in a soak, every
# service's RSS stayed flat); 1 otherwise; 2 when the gateway does not answer.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
GATEWAY=${FIUFIT_GATEWAY_URL:-http://127.0.0.1:8080}
GATEWAY=${GATEWAY%/}
SOAK=${SOAK:-0}
USERS=${USERS:-25}
SPAWN=${SPAWN:-5}
if [ "$SOAK" = 1 ]; then DURATION=${DURATION:-10m}; else DURATION=${DURATION:-1m}; fi
export UV_PYTHON_DOWNLOADS=never

for prefix in users trainings goals metrics; do
  status=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$GATEWAY/$prefix/healthcheck/" || true)
  if [ "$status" != 200 ]; then
    if [ "$status" = 000 ]; then answer="no answer"; else answer="answered $status"; fi
    echo "make load: the gateway $GATEWAY is not answering: GET /$prefix/healthcheck/ $answer." >&2
    echo "make load does not start the stack: run \`make up\` in another terminal, wait for" >&2
    echo "'FiuFit is up', then run make load again (FIUFIT_GATEWAY_URL names another gateway)." >&2
    exit 2
  fi
done

mkdir -p "$ROOT/.local/load"
cd "$HERE"
uv sync --frozen --quiet
echo "make load: $USERS users (+$SPAWN/s) for $DURATION against $GATEWAY$([ "$SOAK" = 1 ] && echo ', soak')"
# --json-file replaces locust's own tables with a file; the locustfile prints the summary.
LOAD_SOAK=$SOAK LOAD_THINK=${THINK:-1-3} exec uv run --frozen locust -f locustfile.py \
  --headless --only-summary --host "$GATEWAY" \
  --users "$USERS" --spawn-rate "$SPAWN" --run-time "$DURATION" --stop-timeout 30 \
  --json-file "$ROOT/.local/load/stats.json"
