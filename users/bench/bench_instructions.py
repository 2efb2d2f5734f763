"""`make bench-instructions`: what `GET /users/{id}` and its access line cost in CPU
instructions, counted by valgrind (callgrind), which gives the same count whatever else the
machine is doing. The rate ratios of `make bench` move by several per cent between two runs of
the same app on these shared machines (two processes of one app measured side by side differ by
up to 8%), which is more than the access line costs; instruction counts settle it.

Seeds `users_bench_instructions` (BENCH_USERS users, 20 000) and runs this file as a child
under valgrind in five shapes: the service with its access line on and off and the bare
reference (bench/reference.py), each serving BENCH_REQUESTS reads (3 200, 16 at a time) after
the same warm-up, and the service and the reference with the warm-up only. A shape's count
less its warm-up-only count, over the requests, is the cost of one request. The requests are
ASGI calls in-process, so uvicorn's share (the same on both sides) is left out, which makes
every ratio here stricter than the same ratio with the server's share in it.

Prints the instructions per read of each, the reference against the service (the read against
its ceiling; goal 0.8) and the access line and request id as a share of the ceiling (goal under
5%). Takes its token from the running authentication service. About 8 minutes.

    make bench-instructions
"""

import asyncio
import gc
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

USERS = int(os.environ.get("BENCH_USERS", "20000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "3200"))
CONCURRENCY = 16
WARM_UP = 320
DATABASE = "users_bench_instructions"


async def serve_in_process(bare: bool, lines: bool, requests: int) -> None:
    """The child: the app's lifespan, a warm-up, then `requests` reads as ASGI calls."""
    if bare:
        from bench.reference import create_app
    else:
        from users.app import create_app
    app: Any = create_app()
    startup: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    answers: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    await startup.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, startup.get, answers.put)
    )
    if (await answers.get())["type"] != "lifespan.startup.complete":
        sys.exit("the app did not start")
    rng = random.Random(5)
    ids = [rng.randint(1, USERS) for _ in range(500)]
    prefix = "/bare" if bare else ""
    authorization = os.environ["BENCH_TOKEN"].encode()
    failed: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            failed.append(message["status"])

    def scope(user_id: int) -> dict[str, Any]:
        path = f"{prefix}/users/{user_id}"
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"bench"), (b"authorization", authorization)],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
            "state": {},
        }

    async def reads(count: int) -> None:
        async def one_client(k: int) -> None:
            for j in range(count // CONCURRENCY):
                await app(scope(ids[(k * 31 + j) % len(ids)]), receive, send)

        await asyncio.gather(*(one_client(k) for k in range(CONCURRENCY)))

    await reads(WARM_UP)
    # As the entry points do (`tune_garbage_collector`), and bench/wrk.py's `serve`.
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, *gc.get_threshold()[1:])
    if not bare:
        app.asgi_handler.lines = lines
    await reads(requests)
    await startup.put({"type": "lifespan.shutdown"})
    await lifespan
    if failed:
        sys.exit(f"{len(failed)} reads failed: {sorted(set(failed))}")


def ensure_valgrind() -> str:
    found = shutil.which("valgrind")
    if not found and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "valgrind"], check=False)
        found = shutil.which("valgrind")
    if not found:
        sys.exit("this benchmark needs valgrind (Debian: apt-get install valgrind)")
    return found


def instructions(valgrind: str, env: dict[str, str], bare: bool, lines: bool, n: int) -> int:
    """Instructions the child executed, from valgrind's summary."""
    with tempfile.TemporaryDirectory() as directory:
        done = subprocess.run(
            [
                valgrind,
                "--tool=callgrind",
                f"--callgrind-out-file={directory}/out",
                sys.executable,
                __file__,
                "--child",
                "bare" if bare else "service",
                "on" if lines else "off",
                str(n),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"the child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return int(found.group(1))


def main() -> None:
    import bench_users

    from tests.database import drop_database

    valgrind = ensure_valgrind()
    url = asyncio.run(bench_users.seed(DATABASE, USERS))
    try:
        env = {
            **os.environ,
            **bench_users.service_env(url),
            "BENCH_TOKEN": bench_users.token("user", 2)["Authorization"],
            "BENCH_USERS": str(USERS),
            "PYTHONHASHSEED": "0",  # the same dict layouts in every child
        }
        shapes = {
            "service": (False, True, REQUESTS),
            "service, line off": (False, False, REQUESTS),
            "service, warm-up only": (False, False, 0),
            "reference": (True, True, REQUESTS),
            "reference, warm-up only": (True, True, 0),
        }
        print(f"counting instructions: {len(shapes)} runs under valgrind, two at a time ...")
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {
                name: pool.submit(instructions, valgrind, env, *shape)
                for name, shape in shapes.items()
            }
            counts = {name: future.result() for name, future in futures.items()}
    finally:
        asyncio.run(drop_database(bench_users.POSTGRES, DATABASE))
    service = (counts["service"] - counts["service, warm-up only"]) / REQUESTS
    unlogged = (counts["service, line off"] - counts["service, warm-up only"]) / REQUESTS
    reference = (counts["reference"] - counts["reference, warm-up only"]) / REQUESTS
    print(f"GET /users/{{id}} with a token, {USERS:,} users, {REQUESTS:,} reads in-process")
    print(f"  service              {service:10,.0f} instructions per read")
    print(f"  service, line off    {unlogged:10,.0f}")
    print(f"  reference            {reference:10,.0f}  (bare Litestar + the same SQL)")
    print(f"  ratio {reference / service:.2f}  (goal ≥ 0.80; uvicorn's share left out)")
    line = service - unlogged
    print(
        f"  the access line and request id: {line:,.0f} instructions,"
        f" {100 * line / reference:.1f}% of the reference's read (goal under 5%)"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        which, lines, requests = sys.argv[2:5]
        asyncio.run(serve_in_process(which == "bare", lines == "on", int(requests)))
    else:
        main()
