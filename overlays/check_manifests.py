"""Offline checks of every Kubernetes manifest (run by overlays/validate.sh).

For each kustomization (every service's kubernetes/, k8s/ and overlays/k8s) it renders the
kustomization with `kubectl kustomize`, validates every rendered document and every file of the
folder against the Kubernetes schemas (kubernetes-validate, strict: unknown fields fail),
substituting dummy values for `$PLACEHOLDERS` first, and then checks what the schemas cannot:
every file is listed or is the Secret template, the Secret template holds placeholders only,
Deployments carry probes, resources, the security context, preStop, grace period and a rolling
update, the public port names, HPAs, migration Jobs, ConfigMaps without secrets, in-cluster URLs
naming real Services, the Ingress naming real Services and ports, and selectors (Services,
NetworkPolicies) matching real pods, and every fiufit/<service> image of a Deployment or Job (in
the service's folder and in overlays/k8s, whose `newTag`s set them) tagged with the version of
<service>/pyproject.toml. The cluster's hardening (issue 13): every workload sets
`automountServiceAccountToken: false`; egress to a data-store port (Postgres 5432, Redis 6379,
MongoDB 27017) names the store (a pod selector that matches that store, or an ipBlock narrower
than the whole Internet), never the port alone; every Redis URL (Secret templates, generated
Secrets, env) carries a password and lives in a Secret, not a ConfigMap; and a container port
named `health` (the metrics consumer's, for the kubelet only) is the target of no Service and
admitted by no NetworkPolicy. Prints what it checked; exits 1 on any problem.

Usage: python overlays/check_manifests.py KUBECTL
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S_VERSION = "1.33.0"
SERVICES = ["authentication", "payment", "users", "trainings", "goals", "metrics"]
# Service object name, port, port name: what the Ingress and the other services rely on.
SERVICE_OBJECTS = {
    "authentication": ("auth-service", 8002, "auth-svc"),
    "payment": ("payment-service", 8020, "payment-svc"),
    "users": ("users-service", 8000, "users-svc"),
    "trainings": ("trainings-service", 8003, "trainings-svc"),
    "goals": ("goals-service", 8004, "goals-svc"),
    "metrics": ("metrics-service", 8005, "metrics-svc"),
}
SECRET_KEY = re.compile(r"(TOKEN|PASSWORD|PRIVATE_KEY|SECRET|ENCRYPTION|API_KEY|CREDENTIALS)")
PLACEHOLDER = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)\}?")
URL_HOST = re.compile(r"^https?://([a-z0-9-]+)(?:\.[a-z0-9.-]+)?:(\d+)")
SERVICE_IMAGE = re.compile(r"^fiufit/([a-z-]+):(.+)$")

# Data-store ports and the `app.kubernetes.io/name` of the pods that serve them (ours in
# overlays/k8s, and the Bitnami charts' names).
DATASTORES = {
    5432: ("Postgres", {"postgres", "postgresql"}),
    6379: ("Redis", {"redis"}),
    27017: ("MongoDB", {"mongodb"}),
}
REDIS_URL_KEY = re.compile(r"REDIS_URL$")

problems: list[str] = []


def problem(where: str, message: str) -> None:
    problems.append(f"{where}: {message}")


def substitute(text: str) -> str:
    """What envsubst would produce with throw-away values."""
    return PLACEHOLDER.sub(lambda m: f"dummy-{m.group(1).lower().replace('_', '-')}", text)


def documents(text: str, where: str) -> list[dict[str, Any]]:
    try:
        return [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as error:
        problem(where, f"not YAML: {error}")
        return []


def validate(doc: dict[str, Any], where: str) -> None:
    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        name = doc.get("metadata", {}).get("name")
        problem(where, f"{doc.get('kind')}/{name}: {error.message} at {list(error.path)}")
    except kubernetes_validate.SchemaNotFoundError:
        problem(where, f"no schema for {doc.get('apiVersion')} {doc.get('kind')}")


def render(kubectl: str, folder: Path) -> list[dict[str, Any]]:
    where = str(folder.relative_to(ROOT))
    done = subprocess.run(
        [kubectl, "kustomize", str(folder)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        problem(where, f"kustomize failed: {done.stderr.strip()}")
        return []
    docs = documents(substitute(done.stdout), where)
    for doc in docs:
        validate(doc, f"{where} (rendered)")
    print(f"  rendered {where}: {len(docs)} objects")
    return docs


def check_files(folder: Path) -> None:
    """Each file validates on its own; each is listed in the kustomization or is the template."""
    where = str(folder.relative_to(ROOT))
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    listed = set(kustomization.get("resources", [])) | {
        p for key in ("patches",) for p in (x.get("path") for x in kustomization.get(key, [])) if p
    }
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        text = path.read_text()
        if path.name.endswith(".template.yaml"):
            check_template(path, text)
        elif path.name not in listed:
            problem(where, f"{path.name} is not listed in kustomization.yaml")
        if path.name in {p for p in listed if p.startswith("patch")}:
            continue
        for doc in documents(substitute(text), f"{where}/{path.name}"):
            validate(doc, f"{where}/{path.name}")


def check_template(path: Path, text: str) -> None:
    where = str(path.relative_to(ROOT))
    for doc in documents(text, where):
        if doc.get("kind") != "Secret":
            problem(where, f"a template holds only Secrets, not {doc.get('kind')}")
        for key, value in (doc.get("stringData") or {}).items():
            if not PLACEHOLDER.search(str(value)):
                problem(where, f"{key} is not a $PLACEHOLDER (never commit a secret value)")
            if REDIS_URL_KEY.search(key):
                check_redis_url(where, key, str(value))
    runbook = (ROOT / "k8s" / "RUNBOOK.md").read_text()
    for name in sorted(set(PLACEHOLDER.findall(text))):
        if f"`{name}`" not in runbook:
            problem(where, f"${name} is missing from the deploy variables of k8s/RUNBOOK.md")
    okteto = path.parent.parent / "okteto.yml"
    if okteto.exists() and f"kubernetes/{path.name}" not in okteto.read_text():
        problem(str(okteto.relative_to(ROOT)), f"does not fill kubernetes/{path.name}")


def check_redis_url(where: str, key: str, value: str) -> None:
    """A Redis URL names the server and carries a password (`redis://:$PASSWORD@host:port/db`
    or `rediss://…`): a whole-URL placeholder could be rendered without one."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        problem(where, f"{key} must be a redis:// or rediss:// URL with a password, "
                       f"e.g. redis://:$FIUFIT_REDIS_PASSWORD@redis-master:6379/0")
    elif not parts.password:
        problem(where, f"{key}: the Redis URL carries no password")


def secret_values(doc: dict[str, Any]) -> dict[str, str]:
    values = {k: str(v) for k, v in (doc.get("stringData") or {}).items()}
    for key, encoded in (doc.get("data") or {}).items():
        try:
            values[key] = base64.b64decode(str(encoded)).decode()
        except (ValueError, UnicodeDecodeError):
            continue
    return values


def check_redis_urls(docs: list[dict[str, Any]], where: str) -> int:
    """Rendered Secrets, ConfigMaps and container env: Redis URLs only in Secrets, each with a
    password."""
    checked = 0
    for doc in docs:
        name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        if doc.get("kind") == "Secret":
            for key, value in secret_values(doc).items():
                if REDIS_URL_KEY.search(key):
                    checked += 1
                    check_redis_url(f"{where} {name}", key, value)
        elif doc.get("kind") == "ConfigMap":
            for key in doc.get("data") or {}:
                if REDIS_URL_KEY.search(key):
                    checked += 1
                    problem(where, f"{name} holds {key}: a Redis URL carries the password, "
                                   "so it belongs in the Secret")
        elif doc.get("kind") in {"Deployment", "Job", "StatefulSet"}:
            spec = doc["spec"]["template"]["spec"]
            for container in spec.get("initContainers", []) + spec["containers"]:
                for env in container.get("env") or []:
                    if REDIS_URL_KEY.search(env["name"]) and "value" in env:
                        checked += 1
                        problem(where, f"{name} sets {env['name']} in plain env: it carries "
                                       "the Redis password, so it comes from the Secret")
    return checked


def check_automount(docs: list[dict[str, Any]], where: str) -> int:
    """No workload gets a Kubernetes API token it never uses."""
    checked = 0
    for name, _, spec in pods(docs):
        checked += 1
        if spec.get("automountServiceAccountToken") is not False:
            problem(where, f"{name}: automountServiceAccountToken is not false")
    return checked


def _port_numbers(rule: dict[str, Any]) -> set[int] | None:
    """The numeric ports of a rule; None when it allows every port."""
    if not rule.get("ports"):
        return None
    return {int(p["port"]) for p in rule["ports"] if isinstance(p.get("port"), int)}


def check_datastore_egress(docs: list[dict[str, Any]], where: str) -> int:
    """Egress that reaches a data-store port must name the store, not only the port."""
    checked = 0
    for policy in (d for d in docs if d["kind"] == "NetworkPolicy"):
        pname = policy["metadata"]["name"]
        selector = policy["spec"].get("podSelector") or {}
        if (selector.get("matchLabels") or {}).get("app.kubernetes.io/part-of") == "fiufit-local":
            continue  # the local stand-ins for the stores themselves
        for rule in policy["spec"].get("egress") or []:
            ports = _port_numbers(rule)
            stores = set(DATASTORES) if ports is None else ports & set(DATASTORES)
            if not stores:
                continue
            checked += 1
            peers = rule.get("to") or []
            if not peers:
                what = "every port" if ports is None else f"port(s) {sorted(stores)}"
                problem(where, f"NetworkPolicy {pname}: egress to {what} of any address "
                               "(name the data store: a pod selector or an ipBlock)")
                continue
            for peer in peers:
                block = peer.get("ipBlock")
                if block is not None:
                    if str(block.get("cidr")) in {"0.0.0.0/0", "::/0"}:
                        problem(where, f"NetworkPolicy {pname}: egress to {sorted(stores)} "
                                       "of 0.0.0.0/0")
                    continue
                pod_selector = peer.get("podSelector")
                if not pod_selector or not (
                    pod_selector.get("matchLabels") or pod_selector.get("matchExpressions")
                ):
                    problem(where, f"NetworkPolicy {pname}: egress to {sorted(stores)} of "
                                   f"every pod of {peer} (name the data store)")
                    continue
                for port in stores:
                    store, names = DATASTORES[port]
                    if not any(matches(pod_selector, {"app.kubernetes.io/name": n})
                               for n in names):
                        problem(where, f"NetworkPolicy {pname}: port {port} ({store}) "
                                       f"to {pod_selector}, which selects no {store}")
    return checked


def check_health_ports(docs: list[dict[str, Any]], where: str) -> int:
    """A container port named `health` serves the kubelet's probes only (kubelet traffic is not
    subject to NetworkPolicies): no Service targets it, no NetworkPolicy admits it."""
    checked = 0
    services = [d for d in docs if d["kind"] == "Service"]
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    for name, labels, spec in pods(docs):
        for container in spec["containers"]:
            for port in container.get("ports") or []:
                if port.get("name") != "health":
                    continue
                checked += 1
                number = port["containerPort"]
                for svc in services:
                    if not matches({"matchLabels": svc["spec"].get("selector") or {}}, labels):
                        continue
                    for sp in svc["spec"].get("ports") or []:
                        if sp.get("targetPort") in ("health", number) or (
                            "targetPort" not in sp and sp.get("port") == number
                        ):
                            problem(where, f"Service {svc['metadata']['name']} exposes the "
                                           f"health port of {name}")
                for policy in policies:
                    if not matches(policy["spec"].get("podSelector") or {}, labels):
                        continue
                    for rule in policy["spec"].get("ingress") or []:
                        allowed = _port_numbers(rule)
                        named = {p.get("port") for p in rule.get("ports") or []}
                        if allowed is None or number in allowed or "health" in named:
                            problem(where, f"NetworkPolicy {policy['metadata']['name']} admits "
                                           f"traffic to the health port {number} of {name}")
    return checked


def pods(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(kind/name, pod labels, pod spec) of every workload."""
    out = []
    for doc in docs:
        if doc.get("kind") in {"Deployment", "Job", "StatefulSet"}:
            template = doc["spec"]["template"]
            name = f"{doc['kind']}/{doc['metadata']['name']}"
            out.append((name, template["metadata"].get("labels", {}), template["spec"]))
    return out


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        present, value = expr["key"] in labels, labels.get(expr["key"])
        op = expr["operator"]
        if (op == "In" and value not in expr["values"]) or (op == "Exists" and not present):
            return False
        if (op == "NotIn" and value in expr["values"]) or (op == "DoesNotExist" and present):
            return False
    return True


def check_workload(where: str, name: str, spec: dict[str, Any], serves: bool) -> None:
    if not (spec.get("securityContext") or {}).get("runAsNonRoot"):
        problem(where, f"{name}: pod securityContext.runAsNonRoot is not true")
    for container in spec["containers"]:
        ctx = container.get("securityContext") or {}
        cname = f"{name} container {container['name']}"
        if ctx.get("readOnlyRootFilesystem") is not True:
            problem(where, f"{cname}: readOnlyRootFilesystem is not true")
        if ctx.get("allowPrivilegeEscalation") is not False:
            problem(where, f"{cname}: allowPrivilegeEscalation is not false")
        resources = container.get("resources") or {}
        if not resources.get("requests") or not resources.get("limits"):
            problem(where, f"{cname}: resources need requests and limits")
        if name.startswith("Job/"):
            continue
        if "livenessProbe" not in container:
            problem(where, f"{cname}: no livenessProbe")
        if serves and "readinessProbe" not in container:
            problem(where, f"{cname}: no readinessProbe")
        if serves and "preStop" not in (container.get("lifecycle") or {}):
            problem(where, f"{cname}: no preStop hook")


def check_service(service: str, docs: list[dict[str, Any]]) -> None:
    where = f"{service}/kubernetes"
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    name, port, port_name = SERVICE_OBJECTS[service]
    services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
    if name not in services:
        problem(where, f"no Service named {name}")
    else:
        ports = {(p.get("name"), p["port"]) for p in services[name]["spec"]["ports"]}
        if (port_name, port) not in ports:
            problem(where, f"Service {name} must expose port {port} named {port_name}")
    def serves(labels: dict[str, str]) -> bool:
        """Whether a Service of this folder sends traffic to pods with these labels."""
        return any(matches({"matchLabels": s["spec"].get("selector")}, labels)
                   for s in services.values())

    for deployment in by_kind.get("Deployment", []):
        dname = deployment["metadata"]["name"]
        spec = deployment["spec"]
        serving = serves(spec["template"]["metadata"].get("labels", {}))
        if (spec.get("strategy") or {}).get("type") != "RollingUpdate":
            problem(where, f"Deployment/{dname}: strategy.type is not RollingUpdate")
        if "terminationGracePeriodSeconds" not in spec["template"]["spec"]:
            problem(where, f"Deployment/{dname}: no terminationGracePeriodSeconds")
        hpas = [h for h in by_kind.get("HorizontalPodAutoscaler", [])
                if h["spec"]["scaleTargetRef"]["name"] == dname]
        if serving and not hpas:
            problem(where, f"Deployment/{dname} serves HTTP but has no HorizontalPodAutoscaler")
        if hpas and "replicas" in spec:
            problem(where, f"Deployment/{dname}: sets replicas, which its HPA owns")
    for wname, labels, spec in pods(docs):
        # The runbook selects workloads and their pods by these labels.
        kind, wn = wname.split("/")
        meta = next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == wn)
        for key in ("app.kubernetes.io/name", "app.kubernetes.io/part-of"):
            if key not in labels or key not in meta["metadata"].get("labels", {}):
                problem(where, f"{wname}: it and its pod template need the label {key}")
        check_workload(where, wname, spec, kind == "Deployment" and serves(labels))
    if (ROOT / service / "migrations").is_dir() and "Job" not in by_kind:
        problem(where, "the service has migrations/ but no migration Job")
    if "NetworkPolicy" not in by_kind:
        problem(where, "no NetworkPolicy")
    for configmap in by_kind.get("ConfigMap", []):
        for key in configmap.get("data", {}):
            if SECRET_KEY.search(key):
                problem(where, f"ConfigMap {configmap['metadata']['name']} holds {key}: a secret")
    if not (ROOT / service / "kubernetes" / "secret.template.yaml").exists():
        problem(where, "no secret.template.yaml")


def versions() -> dict[str, str]:
    """The version of each service's pyproject.toml: the tag its image must carry."""
    out = {}
    for service in SERVICES:
        pyproject = ROOT / service / "pyproject.toml"
        if pyproject.exists():
            out[service] = tomllib.loads(pyproject.read_text())["project"]["version"]
    return out


def check_image_tags(docs: list[dict[str, Any]], where: str, expected: dict[str, str]) -> int:
    """Every fiufit/<service> image of a workload is tagged with that service's version."""
    checked = 0
    for doc in docs:
        if doc.get("kind") not in {"Deployment", "Job", "StatefulSet"}:
            continue
        spec = doc["spec"]["template"]["spec"]
        for container in spec.get("initContainers", []) + spec["containers"]:
            found = SERVICE_IMAGE.match(str(container.get("image", "")))
            if not found or found.group(1) not in expected:
                continue
            service, tag = found.groups()
            checked += 1
            if tag != expected[service]:
                problem(where, f"{doc['kind']}/{doc['metadata']['name']} container "
                               f"{container['name']}: image fiufit/{service}:{tag}, but "
                               f"{service}/pyproject.toml is version {expected[service]}")
    return checked


def _selects_a_datastore(selector: dict[str, Any]) -> bool:
    return any(matches(selector, {"app.kubernetes.io/name": n})
               for _, names in DATASTORES.values() for n in names)


def check_platform(
    docs: list[dict[str, Any]], where: str, stores_outside: bool = False
) -> None:
    """Cross-object references in the assembled platform. With `stores_outside` (the services
    and k8s/ without overlays/k8s), a peer that selects a data store need not match a pod: the
    stores are not part of these manifests."""
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    workloads = pods(docs)
    for name, svc in services.items():
        selector = {"matchLabels": svc["spec"].get("selector") or {}}
        if not any(matches(selector, labels) for _, labels, _ in workloads):
            problem(where, f"Service {name} selects no pod")
    for policy in (d for d in docs if d["kind"] == "NetworkPolicy"):
        pname = policy["metadata"]["name"]
        if policy["spec"]["podSelector"] and not any(
            matches(policy["spec"]["podSelector"], labels) for _, labels, _ in workloads
        ):
            problem(where, f"NetworkPolicy {pname} applies to no pod")
        for rule in policy["spec"].get("ingress", []) + policy["spec"].get("egress", []):
            for peer in rule.get("from", []) + rule.get("to", []):
                selector = peer.get("podSelector")
                if stores_outside and selector and _selects_a_datastore(selector):
                    continue
                if selector and "namespaceSelector" not in peer and not any(
                    matches(selector, labels) for _, labels, _ in workloads
                ):
                    problem(where, f"NetworkPolicy {pname}: peer {selector} matches no pod")
    for configmap in (d for d in docs if d["kind"] == "ConfigMap"):
        for key, value in (configmap.get("data") or {}).items():
            found = URL_HOST.match(str(value))
            if not found or found.group(1) in {"localhost", "dummy"}:
                continue
            host, port = found.group(1), int(found.group(2))
            ports = [p["port"] for p in (services.get(host) or {}).get("spec", {}).get("ports", [])]
            if port not in ports:
                problem(where, f"{configmap['metadata']['name']} {key}={value}: no Service "
                               f"{host} with port {port}")
    for ingress in (d for d in docs if d["kind"] == "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                target = services.get(backend["name"])
                names = [p.get("name") for p in (target or {}).get("spec", {}).get("ports", [])]
                if backend["port"].get("name") not in names:
                    problem(where, f"Ingress {path['path']} → {backend}: no such Service port")


def check_ingress(docs: list[dict[str, Any]]) -> None:
    # The 2023 table, with reports on a training first: users holds the one moderation queue.
    expected = [
        ("/trainings/[0-9]+/reports", "users-service"),
        ("/users/.*/trainings", "trainings-service"), ("/users", "users-service"),
        ("/admins", "users-service"), ("/trainings", "trainings-service"),
        ("/goals", "goals-service"), ("/metrics", "metrics-service"),
    ]
    ingresses = [d for d in docs if d["kind"] == "Ingress"]
    if len(ingresses) != 1:
        problem("k8s", f"expected one Ingress, found {len(ingresses)}")
        return
    ingress = ingresses[0]
    if ingress["metadata"].get("annotations", {}).get(
        "nginx.ingress.kubernetes.io/use-regex"
    ) != "true":
        problem("k8s/ingress.yaml", "needs nginx.ingress.kubernetes.io/use-regex: 'true'")
    paths = [(p["path"], p["backend"]["service"]["name"])
             for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
    if paths != expected:
        problem("k8s/ingress.yaml", f"routing table {paths} is not the 2023 one {expected}")


def main() -> int:
    kubectl = sys.argv[1]
    expected = versions()
    tagged = 0
    platform: list[dict[str, Any]] = []
    for service in SERVICES:
        folder = ROOT / service / "kubernetes"
        if not (ROOT / service / "pyproject.toml").exists():
            continue
        print(f"- {service}/kubernetes: files, render, schema (Kubernetes {K8S_VERSION}), "
              "consistency")
        check_files(folder)
        docs = render(kubectl, folder)
        check_service(service, docs)
        tagged += check_image_tags(docs, f"{service}/kubernetes", expected)
        platform += docs
    print("- k8s: files, render, schema, the 2023 routing table (with training reports)")
    check_files(ROOT / "k8s")
    shared = render(kubectl, ROOT / "k8s")
    check_ingress(shared)
    check_platform(platform + shared, "services + k8s", stores_outside=True)
    print("- overlays/k8s: files, render, schema, references across the whole platform")
    check_files(ROOT / "overlays" / "k8s")
    local = render(kubectl, ROOT / "overlays" / "k8s")
    check_platform(local, "overlays/k8s (rendered)")
    tagged += check_image_tags(local, "overlays/k8s (rendered)", expected)
    hardening = {"services + k8s": platform + shared, "overlays/k8s (rendered)": local}
    counts = {"workloads": 0, "data-store egress rules": 0, "Redis URLs": 0, "health ports": 0}
    for where, docs in hardening.items():
        counts["workloads"] += check_automount(docs, where)
        counts["data-store egress rules"] += check_datastore_egress(docs, where)
        counts["Redis URLs"] += check_redis_urls(docs, where)
        counts["health ports"] += check_health_ports(docs, where)
    print("- hardening: automountServiceAccountToken false, egress named per data store, Redis "
          "URLs with a password in Secrets, health ports for the kubelet only ("
          + ", ".join(f"{n} {k}" for k, n in counts.items()) + ")")
    print(f"- image tags: {tagged} fiufit/<service> images checked against the pyproject.toml "
          f"versions ({', '.join(f'{s} {v}' for s, v in expected.items())})")
    for line in problems:
        print(f"  PROBLEM {line}")
    print(f"  manifests: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
