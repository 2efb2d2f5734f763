"""Declared glue (tests), identical in every service: what the OpenAPI contract test
(tests/test_openapi.py) runs on. The app runs under uvicorn on a free port, in a thread of its
own, on the suite's real components; schemathesis (its CLI, as a client would run it) fuzzes it
from its own OpenAPI document with every check, and the test asserts that it found nothing."""

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from litestar import Litestar

# Examples per operation and phase; the seed makes a run repeatable (a failure names it too).
EXAMPLES = 60
SEED = 20261201


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: Litestar) -> Iterator[str]:
    """Serves `app` (lifespan included) until the block ends; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="contract-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:  # a state, not a delay: uvicorn sets it once it listens
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app under test did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)


def fuzz(
    base_url: str,
    spec_path: str,
    headers: dict[str, str] | None = None,
    extra: Sequence[str] = (),
    examples: int = EXAMPLES,
) -> subprocess.CompletedProcess[str]:
    """Runs `st run --checks all` against the app and returns the finished process (exit 0:
    nothing found). `--checks all` wins over any file, so every check runs on every operation;
    tests/schemathesis.toml, when present, can only relax what one named operation may answer
    (`expected-statuses`, a hook), each relaxation with its reason next to it."""
    config = Path(__file__).with_name("schemathesis.toml")
    command = [
        str(Path(sys.executable).parent / "st"),
        *(["--config-file", str(config)] if config.exists() else []),
        "run",
        f"{base_url}{spec_path}",
        "--url",
        base_url,
        "--checks",
        "all",
        "--max-examples",
        str(examples),
        "--seed",
        str(SEED),
        "--no-color",
        "--suppress-health-check",
        "all",
        *extra,
    ]
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    return subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
