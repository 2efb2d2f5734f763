#!/usr/bin/env bash
# Dependency audit: pip-audit of each service's locked runtime dependencies (uv.lock without the
# dev group: what its image ships), ignoring only the advisories of overlays/pip-audit-ignore.txt.
# The GitLab `audit` job runs it for its service, `make audit` for all of them.
#
#   overlays/audit.sh [service...]   audit the services named (default: every service)
#   overlays/audit.sh --check        check the ignore list only, offline (overlays/validate.sh)
#
# pip-audit takes its vulnerability data from PyPI's JSON API. Where that is not reachable (the
# build machines of this project: pip-audit reports every package "not found on PyPI") the audit
# fails, by design (--strict): an audit that could not look is not a pass.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PIP_AUDIT="pip-audit==2.10.1"
IGNORES=overlays/pip-audit-ignore.txt
# The Minerva advisory of pure-Python ecdsa (pulled by python-jose) holds only where jose uses
# its cryptography backend, which each such service's test proves.
ECDSA_ADVISORY=GHSA-wj6h-64fc-37mp

ids=()
bad=0
while IFS= read -r line || [ -n "$line" ]; do
  [[ "$line" =~ ^[[:space:]]*(#.*)?$ ]] && continue
  if [[ "$line" =~ ^([A-Z]+-[A-Za-z0-9-]+)[[:space:]]+#[[:space:]]*(.{20,})$ ]]; then
    ids+=("${BASH_REMATCH[1]}")
  else
    echo "$IGNORES: not 'ID  # why it does not apply': $line" >&2
    bad=1
  fi
done < "$IGNORES"

if [ "${1:-}" = "--check" ]; then
  for id in "${ids[@]}"; do
    [ "$id" = "$ECDSA_ADVISORY" ] || continue
    for service in $(overlays/services.sh); do
      grep -q '^name = "ecdsa"$' "$service/uv.lock" || continue
      grep -q 'python-jose\[cryptography\]' "$service/pyproject.toml" \
        || { echo "  $service: locks ecdsa but does not depend on python-jose[cryptography]"; bad=1; }
      [ -f "$service/tests/test_jose_backend.py" ] \
        || { echo "  $service: locks ecdsa but has no tests/test_jose_backend.py"; bad=1; }
    done
  done
  [ "$bad" = 0 ] && echo "  ok: ${#ids[@]} advisory(ies) ignored, each with its reason: ${ids[*]}"
  exit "$bad"
fi
[ "$bad" = 0 ] || exit 1

# Exact pins with their hashes from the lock: pip-audit needs no resolver (--disable-pip).
args=(--strict --disable-pip --require-hashes --progress-spinner off)
for id in "${ids[@]}"; do args+=(--ignore-vuln "$id"); done
if [ $# -gt 0 ]; then services=("$@"); else mapfile -t services < <(overlays/services.sh); fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=()
for service in "${services[@]}"; do
  echo "=== audit: $service (ignoring: ${ids[*]:-nothing})"
  (cd "$service" && uv export --frozen --no-dev --no-emit-project --format requirements-txt \
    --quiet) > "$scratch/$service.txt"
  uvx "$PIP_AUDIT" "${args[@]}" -r "$scratch/$service.txt" || failed+=("$service")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "audit: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "audit: no known vulnerability in ${services[*]}"
