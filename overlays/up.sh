#!/usr/bin/env bash
# `make up`: the infrastructure, every service's migrations, then every service in the
# foreground under honcho. Ctrl-C or SIGTERM stops the services, then what infra.sh started.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DATA=${FIUFIT_DATA:-$ROOT/.local}

overlays/infra.sh start
trap 'overlays/infra.sh stop' EXIT

set -a
# shellcheck disable=SC1091
source overlays/local.env
set +a

procfile="$DATA/Procfile"
: >"$procfile"
for service in $(overlays/services.sh); do
  make -C "$service" --no-print-directory install
  if grep -q '^migrate:' "$service/Makefile"; then make -C "$service" --no-print-directory migrate; fi
  # Each service installs console scripts named fiufit-<service> (and metrics-consumer).
  for script in "$service"/.venv/bin/fiufit-* "$service"/.venv/bin/metrics-consumer; do
    [ -x "$script" ] && echo "$(basename "$script"): exec $ROOT/$script" >>"$procfile"
  done
done

echo "FiuFit local stack:"
for service in $(overlays/services.sh); do
  case $service in
    authentication) echo "  authentication  http://127.0.0.1:8002/auth/documentation/ (internal)";;
    payment) echo "  payment         http://127.0.0.1:8020/payment/documentation/ (internal)";;
    users) echo "  users           http://127.0.0.1:8000/users/documentation/";;
    trainings) echo "  trainings       http://127.0.0.1:8003/trainings/documentation/";;
    goals) echo "  goals           http://127.0.0.1:8004/goals/documentation/";;
    metrics) echo "  metrics         http://127.0.0.1:8005/metrics/documentation/";;
  esac
done
echo "  bootstrap admin ${USERS_BOOTSTRAP_ADMIN_EMAIL} / ${USERS_BOOTSTRAP_ADMIN_PASSWORD}"

# Not exec: the EXIT trap must run after honcho stops the services.
"$DATA/venv/bin/honcho" start -f "$procfile" -d "$ROOT" || true
