"""Declared glue: the files every service carries on purpose (services are versioned on their own),
each identical in every service that uses it (ARCHITECTURE.md, "Declared glue").

Fails, naming the file and the copies that differ, when one copy is edited alone: change glue in
every copy in one commit. `make lint` and overlays/validate.sh run it.

Usage: python3 overlays/check_glue.py
"""

from __future__ import annotations

import hashlib
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# glue file (inside src/<package>/) → the services that carry it
GLUE: dict[str, tuple[str, ...]] = {
    "access.py": ("authentication", "payment", "users", "trainings", "goals", "metrics"),
    "base_settings.py": ("authentication", "payment", "users", "trainings", "goals", "metrics"),
    "errors.py": ("authentication", "payment", "users", "trainings", "goals", "metrics"),
    "logs.py": ("authentication", "payment", "users", "trainings", "goals", "metrics"),
    "openapi.py": ("authentication", "payment", "users", "trainings", "goals", "metrics"),
    "prometheus.py": ("authentication", "payment", "users", "trainings", "goals", "metrics"),
    "protocol.py": ("authentication", "payment", "users", "trainings", "goals", "metrics"),
    "outbox.py": ("payment", "users", "trainings", "goals"),
    "readiness.py": ("authentication", "payment", "users", "trainings", "goals", "metrics"),
    "inline.py": ("trainings", "goals"),
    "storage.py": ("users", "trainings", "goals"),
    "tokens.py": ("users", "trainings", "goals", "metrics"),
}

# test glue (inside tests/) → the services that carry it
TEST_GLUE: dict[str, tuple[str, ...]] = {
    "database.py": ("users", "payment", "trainings", "goals"),
    "fuzz.py": ("authentication", "payment", "users", "trainings", "goals", "metrics"),
    "test_entry_point.py": ("authentication", "payment", "users", "trainings", "goals", "metrics"),
}

# benchmark glue (inside bench/) → the services that carry it
BENCH_GLUE: dict[str, tuple[str, ...]] = {
    "wrk.py": ("authentication", "payment", "users", "trainings", "goals", "metrics"),
}


def copies(name: str, services: tuple[str, ...], folder: str) -> dict[str, list[str]]:
    """Digest → the services whose copy has it (a missing copy counts as its own digest)."""
    by_digest: dict[str, list[str]] = defaultdict(list)
    for service in services:
        path = ROOT / service / (folder or f"src/{service}") / name
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
        by_digest[digest].append(service)
    return by_digest


def main() -> int:
    problems = 0
    every = [(name, services, "") for name, services in GLUE.items()]
    every += [(name, services, "tests") for name, services in TEST_GLUE.items()]
    every += [(name, services, "bench") for name, services in BENCH_GLUE.items()]
    for bare, services, folder in every:
        name = f"{folder}/{bare}" if folder else bare
        by_digest = copies(bare, services, folder)
        if set(by_digest) == {"missing"}:
            problems += 1
            print(f"  {name} is declared glue but no service has it: remove it from the list")
            continue
        if len(by_digest) == 1:
            print(f"  ok: {name} is identical in {', '.join(services)}")
            continue
        problems += 1
        groups = "; ".join(
            f"{'missing in' if digest == 'missing' else 'one version in'} {', '.join(owners)}"
            for digest, owners in sorted(by_digest.items(), key=lambda item: -len(item[1]))
        )
        print(f"  {name} differs between services ({groups}): change every copy together")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
