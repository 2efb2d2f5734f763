"""Offline checks of every service's okteto.yml (run by overlays/validate.sh).

Okteto builds the images of `build`, then runs `deploy.commands` one by one with `bash -c` and
stops at the first command that fails. Every service follows one pattern:

    build → Secret → render (built image) → [delete Job → apply Job → wait Job] → apply → rollout status

(the bracket only where the service has migrations/). It is checked two ways:

1. Statically: the keys Okteto knows, `build.<service>` (context `.`, the service's Dockerfile,
   Okteto's registry), the step names in that order, the same commands in every service up to the
   service's own names, no `|| true`, no `kubectl set image`, no `apply -k` and no edited or
   rendered file left in the repository, `set -o pipefail` before any pipe, timeouts on every
   wait; `dev` entries that select a rendered Deployment, run one of the project's scripts, sync
   `src` and set PYTHONPATH so the synced sources shadow the installed package.
2. By running the deploy commands with bash, as Okteto does, against a recording `kubectl` (a
   script first on PATH: `kubectl kustomize` runs the real, pinned kubectl; every other verb is
   recorded and succeeds): the Secret applied is the filled template; the previous Job is deleted,
   the Job alone is applied with the built image and waited for; then everything else is applied
   exactly once with the built image (no `fiufit/<service>` left, every object valid against the
   Kubernetes schemas); one `rollout status` per Deployment. Then once more for every kubectl
   call, with that call failing: the deploy must stop at the step that made it. And with no built
   image (`OKTETO_BUILD_<SERVICE>_IMAGE` empty) the deploy must stop before applying anything.

Prints what it checked; exits 1 on any problem.

Usage: python overlays/check_okteto.py KUBECTL
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S_VERSION = "1.33.0"
SERVICES = ["authentication", "payment", "users", "trainings", "goals", "metrics"]
STEPS_WITH_MIGRATIONS = [
    "Secret",
    "Render the manifests with the built image",
    "Delete the previous migration Job",
    "Apply the migration Job",
    "Wait for the migrations",
    "Apply",
    "Rollout status",
]
STEPS_WITHOUT = [s for s in STEPS_WITH_MIGRATIONS if "migration" not in s]
TOP_KEYS = {"name", "build", "deploy", "dev"}
BUILD_KEYS = {"context", "dockerfile", "args", "target", "secrets", "depends_on"}
DEV_KEYS = {"selector", "command", "environment", "sync", "forward", "workdir", "resources"}
FORBIDDEN = {
    r"\|\|\s*true\b": "`|| true` hides a failure",
    r"\bset\s+image\b": "`kubectl set image` (a Job's pod template is immutable; render instead)",
    r"\bapply\s+(-k|--kustomize)\b": "`kubectl apply -k` applies the placeholder image",
    r"\bkustomize\s+edit\b": "`kustomize edit` rewrites the committed kustomization",
    r"secret_with_env|>\s*\S*secret": "the filled Secret must not be written to disk",
}
PLACEHOLDER = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)\}?")
TIMEOUT = re.compile(r"--timeout=\d+[sm]\b")

# The recording kubectl. Each call appends one JSON line: the step, the arguments, what `-f`
# named (stdin for `-f -`). The call numbered $FAKE_KUBECTL_FAIL exits 1.
FAKE_KUBECTL = r'''
import json, os, subprocess, sys
args = sys.argv[1:]
log = os.environ["FAKE_KUBECTL_LOG"]
with open(log) as f:
    number = sum(1 for _ in f) + 1
record = {"step": int(os.environ["FAKE_KUBECTL_STEP"]), "args": args, "files": {}}
for i, arg in enumerate(args):
    name = args[i + 1] if arg in ("-f", "--filename") and i + 1 < len(args) else None
    if arg.startswith("--filename="):
        name = arg.split("=", 1)[1]
    if name == "-":
        record["files"]["-"] = sys.stdin.read()
    elif name:
        try:
            record["files"][name] = open(name).read()
        except OSError as error:
            record["files"][name] = None
            record["error"] = str(error)
with open(log, "a") as f:
    f.write(json.dumps(record) + "\n")
if str(number) == os.environ.get("FAKE_KUBECTL_FAIL"):
    sys.exit(1)
if args[:1] == ["kustomize"]:
    sys.exit(subprocess.run([os.environ["REAL_KUBECTL"], *args]).returncode)
if "error" in record:
    print(record["error"], file=sys.stderr)
    sys.exit(1)
'''

problems: list[str] = []


def problem(where: str, message: str) -> None:
    problems.append(f"{where}: {message}")


def documents(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def key(doc: dict[str, Any]) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def selector_matches(selector: str, labels: dict[str, str]) -> bool:
    """kubectl's equality-based label selectors (`k=v`, `k==v`, `k!=v`, `k`, `!k`)."""
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            name, value = term.split("!=", 1)
            if labels.get(name) == value:
                return False
        elif "=" in term:
            name, value = term.replace("==", "=").split("=", 1)
            if labels.get(name) != value:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def option(args: list[str], short: str, long: str) -> str | None:
    for i, arg in enumerate(args):
        if arg in (short, long) and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(long + "="):
            return arg.split("=", 1)[1]
    return None


def images(doc: dict[str, Any]) -> list[str]:
    spec = doc.get("spec", {}).get("template", {}).get("spec", {})
    return [c.get("image", "") for c in spec.get("containers", []) + spec.get("initContainers", [])]


def render(kubectl: str, service: str) -> list[dict[str, Any]]:
    done = subprocess.run([kubectl, "kustomize", str(ROOT / service / "kubernetes")],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        problem(f"{service}/kubernetes", f"kustomize failed: {done.stderr.strip()}")
        return []
    return documents(done.stdout)


def normalize(command: str, service: str) -> str:
    """The command with the service's own names replaced, to compare services."""
    command = re.sub(r"deployment/[\w-]+", "deployment/<name>", command)
    command = command.replace(service.upper(), "<SERVICE>")
    return re.sub(rf"(?<![\w]){re.escape(service)}(?![\w])", "<service>", command)


def check_static(service: str, manifest: dict[str, Any], rendered: list[dict[str, Any]],
                 migrations: bool) -> list[str]:
    """The manifest's shape; returns the deploy commands."""
    where = f"{service}/okteto.yml"
    if extra := set(manifest) - TOP_KEYS:
        problem(where, f"unknown top-level keys {sorted(extra)}")
    if manifest.get("name") != service:
        problem(where, f"name must be {service!r} (one Okteto dev environment per service)")
    build = manifest.get("build") or {}
    if list(build) != [service]:
        problem(where, f"build must hold exactly one image, {service!r}, found {list(build)}")
    image = build.get(service) or {}
    if extra := set(image) - BUILD_KEYS:
        problem(where, f"build.{service}: unexpected keys {sorted(extra)} (image: Okteto's "
                       "registry names it; the deploy puts it in place of fiufit/" + service + ")")
    if image.get("context") != ".":
        problem(where, f"build.{service}.context must be '.' (the service folder)")
    dockerfile = image.get("dockerfile", "Dockerfile")
    if dockerfile != "Dockerfile" or not (ROOT / service / dockerfile).is_file():
        problem(where, f"build.{service}.dockerfile must be the service's Dockerfile")

    deploy = manifest.get("deploy")
    if not isinstance(deploy, dict) or set(deploy) != {"commands"}:
        problem(where, "deploy must be a mapping with only `commands`")
        return []
    steps = deploy["commands"]
    if not all(isinstance(s, dict) and set(s) == {"name", "command"} for s in steps):
        problem(where, "every deploy command needs a name and a command")
        return []
    names = [s["name"] for s in steps]
    expected = STEPS_WITH_MIGRATIONS if migrations else STEPS_WITHOUT
    if names != expected:
        problem(where, f"deploy steps {names}, expected {expected}")
    for step in steps:
        command = step["command"]
        for pattern, why in FORBIDDEN.items():
            if re.search(pattern, command):
                problem(where, f"step {step['name']!r}: {why}")
        if re.search(r"(?<!\|)\|(?!\|)", command) and not command.startswith("set -o pipefail"):
            problem(where, f"step {step['name']!r} pipes without `set -o pipefail` first "
                           "(bash -c would ignore a failure before the last command)")
        for verb in ("wait", "rollout status"):
            for part in re.split(r"&&|\|\|", command):
                if f"kubectl {verb}" in part and not TIMEOUT.search(part):
                    problem(where, f"step {step['name']!r}: kubectl {verb} without --timeout")

    deployments = [d for d in rendered if d["kind"] == "Deployment"]
    check_dev(service, manifest.get("dev") or {}, deployments)
    return [s["command"] for s in steps]


def check_dev(service: str, dev: dict[str, Any], deployments: list[dict[str, Any]]) -> None:
    where = f"{service}/okteto.yml dev"
    scripts = tomllib.loads((ROOT / service / "pyproject.toml").read_text())["project"].get(
        "scripts", {})
    package = service
    selected: dict[str, str] = {}
    for name, entry in dev.items():
        if extra := set(entry) - DEV_KEYS:
            problem(where, f"{name}: unexpected keys {sorted(extra)}")
        labels = entry.get("selector") or {}
        matched = [d for d in deployments if labels and all(
            d["metadata"].get("labels", {}).get(k) == v for k, v in labels.items())]
        if len(matched) != 1:
            problem(where, f"{name}: selector {labels} must select one Deployment of "
                           f"kubernetes/, it selects {[key(d) for d in matched]}")
            continue
        deployment = matched[0]
        selected[deployment["metadata"]["name"]] = name
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        command = entry.get("command")
        if not isinstance(command, list) or not command or command[0] not in scripts:
            problem(where, f"{name}: command must run one of the project's scripts "
                           f"{sorted(scripts)}, not {command!r}")
        elif container.get("command") and container["command"][:1] != command[:1]:
            problem(where, f"{name}: command {command} is not what {key(deployment)} runs "
                           f"({container['command']})")
        env = entry.get("environment") or {}
        if not isinstance(env, dict) or env.get("PYTHONPATH") != "/app/src":
            problem(where, f"{name}: environment must set PYTHONPATH: /app/src (the synced "
                           "sources shadow the installed package)")
        if entry.get("sync") != ["src:/app/src"]:
            problem(where, f"{name}: sync must be [src:/app/src]")
        if not (ROOT / service / "src" / package).is_dir():
            problem(where, f"{name}: {service}/src/{package} does not exist")
        ports = {p["containerPort"] for p in container.get("ports", [])}
        for forward in entry.get("forward") or []:
            local, _, remote = str(forward).partition(":")
            if not remote.isdigit() or int(remote) not in ports:
                problem(where, f"{name}: forward {forward} names no port of {key(deployment)} "
                               f"({sorted(ports)})")
    for deployment in deployments:
        if deployment["metadata"]["name"] not in selected:
            problem(where, f"no dev entry for {key(deployment)}")


def run_deploy(service: str, commands: list[str], sandbox: Path, env: dict[str, str],
               fail: int | None = None) -> tuple[int | None, list[dict[str, Any]], str]:
    """Runs the commands as Okteto does: the failing step (or None), the calls, its stderr."""
    log = sandbox / "calls.jsonl"
    log.write_text("")
    failed = None
    for number, command in enumerate(commands):
        step_env = dict(env, FAKE_KUBECTL_STEP=str(number), FAKE_KUBECTL_LOG=str(log))
        if fail is not None:
            step_env["FAKE_KUBECTL_FAIL"] = str(fail)
        done = subprocess.run(["bash", "-c", command], cwd=ROOT / service, env=step_env,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            failed = number
            break
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    return failed, calls, done.stderr.strip()


def check_run(service: str, commands: list[str], rendered: list[dict[str, Any]], kubectl: str,
              migrations: bool) -> int:
    """Deploys against the recording kubectl; returns how many runs it made."""
    where = f"{service}/okteto.yml deploy"
    built = f"registry.okteto.example/fiufit/{service}@sha256:{'0123456789abcdef' * 4}"
    template = (ROOT / service / "kubernetes" / "secret.template.yaml").read_text()
    variables = {n: f"filled-{n.lower()}" for n in set(PLACEHOLDER.findall(template))}
    runs = 0
    with tempfile.TemporaryDirectory() as scratch:
        sandbox = Path(scratch)
        (sandbox / "bin").mkdir()
        (sandbox / "tmp").mkdir()
        fake = sandbox / "bin" / "kubectl"
        fake.write_text(f"#!{sys.executable}\n{FAKE_KUBECTL}")
        fake.chmod(0o755)
        env = {
            "PATH": f"{sandbox / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(sandbox),
            "TMPDIR": str(sandbox / "tmp"),
            "REAL_KUBECTL": kubectl,
            f"OKTETO_BUILD_{service.upper()}_IMAGE": built,
            **variables,
        }
        before = set(os.listdir(ROOT / service))
        failed, calls, stderr = run_deploy(service, commands, sandbox, env)
        runs += 1
        if failed is not None:
            problem(where, f"step {failed + 1} failed against the recording kubectl: {stderr[-600:]}")
            return runs
        check_calls(where, service, calls, rendered, built, variables, migrations)
        if left := set(os.listdir(ROOT / service)) - before:
            problem(where, f"the deploy leaves files in {service}/: {sorted(left)}")

        for number, call in enumerate(calls, start=1):
            failed, again, _ = run_deploy(service, commands, sandbox, env, fail=number)
            runs += 1
            if failed != call["step"] or any(c["step"] > call["step"] for c in again):
                problem(where, f"when kubectl {' '.join(call['args'][:2])} (step "
                               f"{call['step'] + 1}) fails, the deploy "
                               + ("goes on" if failed is None else f"stops at step {failed + 1}"))
        no_image = dict(env, **{f"OKTETO_BUILD_{service.upper()}_IMAGE": ""})
        failed, again, _ = run_deploy(service, commands, sandbox, no_image)
        runs += 1
        if failed is None or any(c["args"][:1] == ["apply"] and "-" not in c["files"]
                                 for c in again):
            problem(where, "without a built image the deploy still applies manifests")
    return runs


def check_calls(where: str, service: str, calls: list[dict[str, Any]],
                rendered: list[dict[str, Any]], built: str, variables: dict[str, str],
                migrations: bool) -> None:
    verbs = [c["args"][0] if c["args"][0] != "rollout" else "rollout " + c["args"][1]
             for c in calls]
    deployments = sorted(d["metadata"]["name"] for d in rendered if d["kind"] == "Deployment")
    jobs = [d for d in rendered if d["kind"] == "Job"]
    expected = (["apply", "kustomize"] + (["delete", "apply", "wait"] if migrations else [])
                + ["apply"] + ["rollout status"] * len(deployments))
    if verbs != expected:
        problem(where, f"kubectl calls {verbs}, expected {expected}")
        return
    secret_call, kustomize_call, *rest = calls
    status_calls = rest[-len(deployments):]
    apply_calls = [c for c in rest if c["args"][0] == "apply"]

    # The Secret: the template, filled, from stdin.
    secrets = documents(secret_call["files"].get("-") or "")
    template = documents((ROOT / service / "kubernetes" / "secret.template.yaml").read_text())
    if [key(d) for d in secrets] != [key(d) for d in template] or any(
        d["kind"] != "Secret" for d in secrets
    ):
        problem(where, "the first apply is not the Secret template through stdin")
    for doc in secrets:
        for name, value in (doc.get("stringData") or {}).items():
            if "$" in str(value) or not str(value):
                problem(where, f"Secret {key(doc)} {name} is not filled by envsubst")
    if not any(str(v) in variables.values() for d in secrets
               for v in (d.get("stringData") or {}).values()):
        problem(where, "the Secret carries none of the deploy variables")
    if kustomize_call["args"] != ["kustomize", "kubernetes"]:
        problem(where, f"renders {kustomize_call['args']}, expected kustomize kubernetes")

    # What each apply sends, after its label selector.
    applied: list[tuple[int, dict[str, Any]]] = []
    for call in apply_calls:
        selector = option(call["args"], "-l", "--selector") or ""
        texts = [t for t in call["files"].values() if t is not None]
        if len(texts) != 1:
            problem(where, f"apply {call['args']}: expected one rendered file")
            continue
        for doc in documents(texts[0]):
            if selector_matches(selector, doc["metadata"].get("labels") or {}):
                applied.append((call["step"], doc))
    counts: dict[str, int] = {}
    for _, doc in applied:
        counts[key(doc)] = counts.get(key(doc), 0) + 1
    want = sorted(key(d) for d in rendered if d["kind"] != "Secret")
    if sorted(counts) != want or any(n != 1 for n in counts.values()):
        problem(where, f"applied {counts}, expected each of {want} once")
    for _, doc in applied:
        for image in images(doc):
            if image != built:
                problem(where, f"{key(doc)} is applied with the image {image!r}, not the built one")
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            problem(where, f"{key(doc)} as applied: {error.message}")
        if f"fiufit/{service}:" in yaml.safe_dump(doc):
            problem(where, f"{key(doc)} as applied still names fiufit/{service}")

    if migrations:
        delete_call, job_call, wait_call = rest[0], rest[1], rest[2]
        job_keys = sorted(key(j) for j in jobs)
        first = sorted(key(d) for step, d in applied if step == job_call["step"])
        if not jobs or first != job_keys:
            problem(where, f"the migration apply sends {first}, expected only {job_keys}")
        selector = option(delete_call["args"], "-l", "--selector")
        deleted = [key(j) for j in jobs
                   if (selector and selector_matches(selector, j["metadata"].get("labels", {})))
                   or f"job/{j['metadata']['name']}" in delete_call["args"]
                   or j["metadata"]["name"] in delete_call["args"]]
        if delete_call["args"][1:2] != ["job"] and not any(
            a.startswith("job/") for a in delete_call["args"]
        ) or sorted(deleted) != job_keys:
            problem(where, f"delete {delete_call['args']} does not delete {job_keys}")
        waited = sorted(f"Job/{a.split('/', 1)[1]}" for a in wait_call["args"]
                        if a.startswith("job/"))
        if "--for=condition=complete" not in wait_call["args"] or waited != job_keys:
            problem(where, f"wait {wait_call['args']} does not wait for {job_keys} to complete")
    statuses = sorted(a.split("/", 1)[1] for c in status_calls for a in c["args"]
                      if a.startswith("deployment/"))
    if statuses != deployments:
        problem(where, f"rollout status of {statuses}, expected {deployments}")


def main() -> int:
    kubectl = str(Path(sys.argv[1]).resolve())
    normalized: dict[str, dict[int, tuple[str, str]]] = {}
    for service in SERVICES:
        path = ROOT / service / "okteto.yml"
        if not (ROOT / service / "pyproject.toml").exists():
            continue
        migrations = (ROOT / service / "migrations").is_dir()
        print(f"- {service}/okteto.yml: the pattern "
              f"({'with' if migrations else 'without'} migrations), dev, a recorded deploy")
        try:
            manifest = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as error:
            problem(str(path.relative_to(ROOT)), f"unreadable: {error}")
            continue
        rendered = render(kubectl, service)
        if not rendered:
            continue
        commands = check_static(service, manifest, rendered, migrations)
        if not commands:
            continue
        steps = [s["name"] for s in manifest["deploy"]["commands"]]
        normalized[service] = {
            i: (steps[i], normalize(c, service)) for i, c in enumerate(commands)
        }
        runs = check_run(service, commands, rendered, kubectl, migrations)
        print(f"  {service}: {len(commands)} steps, {runs} recorded deploys "
              "(one clean, one per failing kubectl call, one without a built image)")
    # One pattern: step for step the same command in every service, up to its own names.
    reference: dict[str, tuple[str, str]] = {}
    for service, steps in normalized.items():
        for name, command in steps.values():
            if name == "Rollout status":
                command = " && ".join(sorted(set(re.split(r"\s*&&\s*", command))))
            if name not in reference:
                reference[name] = (service, command)
            elif reference[name][1] != command:
                problem(f"{service}/okteto.yml", f"step {name!r} differs from "
                        f"{reference[name][0]}'s: {shlex.quote(command)} vs "
                        f"{shlex.quote(reference[name][1])}")
    for line in problems:
        print(f"  PROBLEM {line}")
    print(f"  okteto: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
