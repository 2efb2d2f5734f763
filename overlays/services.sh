#!/usr/bin/env bash
# Lists the service folders that are projects (have a pyproject.toml), in dependency order.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for service in authentication payment users trainings goals metrics; do
  [ -f "$ROOT/$service/pyproject.toml" ] && echo "$service"
done
exit 0
