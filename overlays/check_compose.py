"""Offline checks of overlays/docker-compose.yml beyond its schema (overlays/validate.sh runs it).

- Every image can be swapped by an environment variable: `${FIUFIT_<NAME>_IMAGE:-<default>}`, and
  the default is an official image (or, for what the repository builds, `fiufit/<name>:local`).
- Each image is built by one service only; the others that run it name it without a build.
- Every `depends_on` waits for `service_healthy` or `service_completed_successfully`, and a
  dependency waited on as healthy has a health check (its own, or its Dockerfile's HEALTHCHECK).
- Nothing is fetched at start-up (`npx`, `pip install`, `npm install` in a command).

Usage: python overlays/check_compose.py [compose file]  (exits 1 and prints every problem)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "overlays" / "docker-compose.yml"
SWAPPABLE = re.compile(r"^\$\{(FIUFIT_[A-Z0-9_]+_IMAGE):-([^}]+)\}$")
WAITS = {"service_healthy", "service_completed_successfully"}
FETCHES = re.compile(r"\b(npx|pip install|npm install|npm ci|uv sync)\b")


def main() -> int:
    compose = yaml.safe_load(COMPOSE.read_text())
    services: dict[str, dict] = compose["services"]
    problems: list[str] = []
    builders: dict[str, str] = {}
    variables: dict[str, str] = {}

    for name, service in services.items():
        image = service.get("image")
        match = SWAPPABLE.match(image or "")
        if not match:
            problems.append(f"{name}: image {image!r} is not ${{FIUFIT_<NAME>_IMAGE:-<default>}}")
            continue
        variable, default = match.groups()
        if variables.setdefault(variable, default) != default:
            problems.append(f"{name}: {variable} has two defaults")
        if "build" in service:
            if image in builders:
                problems.append(f"{name}: {image} is built again (already by {builders[image]})")
            builders[image] = name
        if "fiufit/" in default and not default.endswith(":local"):
            problems.append(f"{name}: a locally built image is tagged :local, not {default}")
        command = " ".join(map(str, service.get("command") or []))
        if FETCHES.search(command):
            problems.append(f"{name}: its command fetches packages at start-up: {command}")

    for name, service in services.items():
        image = service.get("image", "")
        if "build" not in service and "fiufit/" in image and image not in builders:
            problems.append(f"{name}: runs {image}, which no service builds")
        for dependency, spec in (service.get("depends_on") or {}).items():
            if not isinstance(spec, dict) or spec.get("condition") not in WAITS:
                problems.append(f"{name}: depends_on {dependency} does not wait for health or completion")
                continue
            if spec["condition"] == "service_healthy" and not has_healthcheck(services[dependency]):
                problems.append(f"{name}: waits for {dependency} to be healthy, which has no health check")
    if not problems:
        print(f"  ok: {len(services)} services, {len(builders)} images built once each")
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


def has_healthcheck(service: dict) -> bool:
    if "healthcheck" in service:
        return not service["healthcheck"].get("disable", False)
    build = service.get("build")
    if build is None:
        return False
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    path = (COMPOSE.parent / context / dockerfile).resolve()
    return any(line.startswith("HEALTHCHECK") for line in path.read_text().splitlines())


if __name__ == "__main__":
    sys.exit(main())
