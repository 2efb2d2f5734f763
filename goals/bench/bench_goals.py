"""Benchmark: GET /goals/{user_id} with 20 goals, and the mobile dashboard (four
metricsProgress calls at once) over a 10 000-entry progress log.

Starts the service as a real process (uvicorn, one worker) on a free port against its own
database `goals_bench`, seeds it with SQL, takes a token from the running authentication
service, and drives it with concurrent HTTP clients. Prints requests/s and p50/p99 latencies.

    make bench            # BENCH_SECONDS=10 BENCH_CONCURRENCY=16 by default
"""

import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the tests' database bootstrap
from tests.database import fresh_database  # noqa: E402
from tests.helpers import free_port  # noqa: E402

POSTGRES = os.environ.get("GOALS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASE_URL = f"{POSTGRES}/goals_bench"
REDIS_URL = os.environ.get("GOALS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
AUTH_URL = os.environ.get("GOALS_AUTH_URL", "http://127.0.0.1:8002")
SERVICE_TOKEN = os.environ.get("GOALS_SERVICE_TOKEN", "fiufit-local-service-token")
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
USER_ID = 5
GOALS = 20
LOG_ENTRIES = 10_000
METRICS = ("distance", "fat", "muscle", "steps")


async def prepare_database() -> None:
    await fresh_database(POSTGRES, "goals_bench", HERE.parent / "migrations")
    now = datetime.now(UTC)
    rng = random.Random(42)
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        goal_ids = []
        for n in range(GOALS):
            goal_ids.append(
                await conn.fetchval(
                    """
                    INSERT INTO goals (user_id, title, description, metric, objective, progress,
                                       time_limit, created_at, updated_at)
                    VALUES ($1, $2, 'bench goal', $3, 100000, 0, $4, $5, $5) RETURNING id
                    """,
                    USER_ID,
                    f"goal {n}",
                    METRICS[n % len(METRICS)],
                    (now + timedelta(days=7)).date(),
                    now,
                )
            )
        # 10 000 changes over the last 60 days, spread over the user's goals and metrics.
        rows = []
        for n in range(LOG_ENTRIES):
            goal = n % GOALS
            rows.append(
                (
                    USER_ID,
                    METRICS[goal % len(METRICS)],
                    goal_ids[goal],
                    n,
                    rng.randint(1, 10),
                    now - timedelta(seconds=rng.uniform(0, 60 * 86400)),
                )
            )
        await conn.copy_records_to_table(
            "progress_log",
            records=rows,
            columns=["user_id", "metric", "goal_id", "progress", "delta", "recorded_at"],
        )
        # As autovacuum would have: statistics, and a visibility map for index-only scans.
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


def start_service(port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GOALS_PORT": str(port),
        "GOALS_HOST": "127.0.0.1",
        "GOALS_DATABASE_URL": DATABASE_URL,
        "GOALS_REDIS_URL": REDIS_URL,
        "GOALS_AUTH_URL": AUTH_URL,
        "GOALS_SERVICE_TOKEN": SERVICE_TOKEN,
        "GOALS_PROMETHEUS_PORT": "0",
        "GOALS_LOG_LEVEL": "WARNING",
        "GOALS_OUTBOX_RELAY_ENABLED": "false",
        "GOALS_DATABASE_POOL_MAX": "10",
    }
    binary = Path(sys.executable).parent / "fiufit-goals"
    return subprocess.Popen([str(binary)], env=env)


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            try:
                if (await http.get(f"{base}/goals/healthcheck/")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the service did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux): a figure that contention distorts less."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    name: str, calls_per_op: int, operation: Callable[[], Awaitable[None]], server_pid: int
) -> None:
    latencies: list[float] = []
    deadline = time.perf_counter() + SECONDS

    async def worker() -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            await operation()
            latencies.append(time.perf_counter() - start)

    for _ in range(20):  # warm-up
        await operation()
    started, cpu = time.perf_counter(), cpu_seconds(server_pid)
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    cpu_per_request = (cpu_seconds(server_pid) - cpu) / (len(latencies) * calls_per_op)
    cuts = statistics.quantiles(latencies, n=100)
    operations = len(latencies) / elapsed
    print(
        f"{name:<44} {operations:>8.1f} ops/s {operations * calls_per_op:>8.1f} req/s"
        f"   p50 {cuts[49] * 1000:7.1f} ms   p99 {cuts[98] * 1000:7.1f} ms"
        f"   server CPU {cpu_per_request * 1000:5.2f} ms/req"
    )


async def main() -> None:
    await prepare_database()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_service(port)
    try:
        await wait_ready(base)
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{AUTH_URL}/auth/token",
                json={"role": "user", "id": USER_ID, "is_athlete": True},
                headers={"X-Service-Token": SERVICE_TOKEN},
            )
            response.raise_for_status()
            token = response.json()["data"]
        limits = httpx.Limits(max_connections=CONCURRENCY * 4)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as http:

            async def get(path: str) -> None:
                response = await http.get(path)
                assert response.status_code == 200, response.text

            async def goals() -> None:
                await get(f"/goals/{USER_ID}")

            async def dashboard(days: int) -> None:
                await asyncio.gather(
                    *(get(f"/goals/{USER_ID}/metricsProgress/{m}?days={days}") for m in METRICS)
                )

            listed = (await http.get(f"/goals/{USER_ID}")).json()
            assert len(listed) == GOALS
            print(
                f"goals bench: {SECONDS:g} s per scenario, {CONCURRENCY} concurrent clients, "
                f"one uvicorn worker, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
            )
            await measure(f"GET /goals/{{user_id}} ({GOALS} goals)", 1, goals, server.pid)
            for days in (1, 7, 30):
                await measure(
                    f"dashboard: 4 x metricsProgress, days={days}",
                    4,
                    lambda d=days: dashboard(d),
                    server.pid,
                )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
