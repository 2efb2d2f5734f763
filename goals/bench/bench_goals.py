"""`make bench`: goals's reads against their ceiling, and at 1 000 against 100 000 goals.

Builds two databases with the migrations (tests/database.py): `goals_bench_small`, where a heavy
user owns BENCH_SMALL goals (1 000), and `goals_bench_large`, where they own BENCH_LARGE
(100 000). In both, the mobile user of the hot read owns 20 goals and has a 10 000-change
progress log, and the heavy user's goals, a third of them completed and scattered, each carry
a change. Serves the service on each database (and once more on the large one without its
access log) and the bare reference on the large one (bench/reference.py: the same repository SQL
on a bare Litestar app), all with bench/wrk.py's `serve`, takes tokens from the running
authentication service, and prints each comparison as wrk measured it
(bench/wrk.py `compare`: the two sides alternately, BENCH_ROUNDS rounds of BENCH_SECONDS, the
medians and their ratio):

- `GET /goals/{id}` (the mobile user's 20 goals) with a token, against the bare app running the
  same SQL: goal 0.8; and against the same server with its access line off
  (bench/wrk.py `access_lines`, between rounds): what the line and the request id cost, goal
  under 5% (a ratio of 0.95);
- the heavy user's first page (100 goals, completed first) at 100 000 goals, against the bare
  app: goal 0.5; and against the same page at 1 000 goals: within 1.5x, a ratio of 0.67;
- the dashboard's `metricsProgress` (four metrics, days=30) likewise.

Figures depend on the machine; this prints them and asserts nothing.

    make bench                       # 5 rounds of 3 s a side: about 4 minutes
    BENCH_SECONDS=2 BENCH_ROUNDS=1 make bench      # a quick look
"""

import asyncio
import json
import os
import random
import sys
import urllib.request
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the tests' database bootstrap, and bench/ itself
sys.path.insert(0, str(HERE))
# Shorter runs, more of them: on a shared machine a median of five alternations is steadier
# than one of three longer ones, for the same time.
os.environ.setdefault("BENCH_ROUNDS", "5")
os.environ.setdefault("BENCH_SECONDS", "3")
import wrk  # noqa: E402

from tests.database import fresh_database  # noqa: E402

POSTGRES = os.environ.get("GOALS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("GOALS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
AUTH_URL = os.environ.get("GOALS_AUTH_URL", "http://127.0.0.1:8002")
SERVICE_TOKEN = os.environ.get("GOALS_SERVICE_TOKEN", "fiufit-local-service-token")
SMALL = int(os.environ.get("BENCH_SMALL", "1000"))
LARGE = int(os.environ.get("BENCH_LARGE", "100000"))
MOBILE_USER, HEAVY_USER = 5, 7
MOBILE_GOALS = 20
LOG_ENTRIES = 10_000
METRICS = ("distance", "fat", "muscle", "steps")
DASHBOARD_DAYS = 30
# Within 1.5x of the time at SMALL: a rate at least 1/1.5 of it.
FLAT = 1 / 1.5


def _goal(user_id: int, n: int, now: datetime, completed: bool) -> tuple[object, ...]:
    objective = Decimal(100)
    created = now - timedelta(minutes=n)
    return (
        user_id,
        f"goal {n}",
        "bench goal",
        METRICS[n % len(METRICS)],
        objective,
        objective if completed else Decimal(n % 100),
        (now + timedelta(days=7)).date(),
        created,
        created,
        created if completed else None,
    )


async def seed(name: str, heavy_goals: int) -> str:
    """A migrated database `name`: the mobile user's goals and log, the heavy user's goals."""
    url = await fresh_database(POSTGRES, name, HERE.parent / "migrations")
    now = datetime.now(UTC)
    rng = random.Random(42)
    columns = [
        "user_id",
        *("title", "description", "metric", "objective", "progress", "time_limit"),
        *("created_at", "updated_at", "completed_at"),
    ]
    goals = [_goal(MOBILE_USER, n, now, completed=False) for n in range(MOBILE_GOALS)]
    goals += [_goal(HEAVY_USER, n, now, rng.random() < 1 / 3) for n in range(heavy_goals)]
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table("goals", records=goals, columns=columns)
        ids = await conn.fetch("SELECT id, user_id, metric FROM goals ORDER BY id")
        mobile = [row for row in ids if row["user_id"] == MOBILE_USER]
        log = [
            (
                MOBILE_USER,
                mobile[n % MOBILE_GOALS]["metric"],
                mobile[n % MOBILE_GOALS]["id"],
                n,
                rng.randint(1, 10),
                now - timedelta(seconds=rng.uniform(0, 60 * 86400)),
            )
            for n in range(LOG_ENTRIES)
        ]
        log += [
            (
                HEAVY_USER,
                row["metric"],
                row["id"],
                1,
                1,
                now - timedelta(seconds=rng.uniform(0, 365 * 86400)),
            )
            for row in ids
            if row["user_id"] == HEAVY_USER
        ]
        await conn.copy_records_to_table(
            "progress_log",
            records=log,
            columns=["user_id", "metric", "goal_id", "progress", "delta", "recorded_at"],
        )
        # As autovacuum would have: statistics, and a visibility map for index-only scans.
        await conn.execute("VACUUM ANALYZE")
        # The seed's dirty pages written now, not by a checkpoint during the first rounds.
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    return url


def token(user_id: int) -> dict[str, str]:
    """A bearer header for `user_id`, from the running authentication service."""
    request = urllib.request.Request(
        f"{AUTH_URL}/auth/token",
        data=f'{{"role": "user", "id": {user_id}, "is_athlete": true}}'.encode(),
        headers={"X-Service-Token": SERVICE_TOKEN, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return {"Authorization": f"Bearer {json.load(answer)['data']}"}


def service_env(database_url: str) -> dict[str, str]:
    """The service as deployed (default settings) on `database_url`; no metrics listener, so
    two instances can run side by side."""
    return {
        "GOALS_DATABASE_URL": database_url,
        "GOALS_REDIS_URL": REDIS_URL,
        "GOALS_AUTH_URL": AUTH_URL,
        "GOALS_SERVICE_TOKEN": SERVICE_TOKEN,
        "GOALS_PROMETHEUS_PORT": "0",
    }


def main() -> None:
    wrk.ensure_wrk()
    small_url = asyncio.run(seed("goals_bench_small", SMALL))
    large_url = asyncio.run(seed("goals_bench_large", LARGE))
    mobile, heavy = token(MOBILE_USER), token(HEAVY_USER)
    dashboard = [f"/{MOBILE_USER}/metricsProgress/{m}?days={DASHBOARD_DAYS}" for m in METRICS]
    with ExitStack() as stack:

        def service(url: str, name: str) -> str:
            return stack.enter_context(
                wrk.serve("goals.app:create_app", "/goals/healthcheck/", service_env(url), name)
            )

        def bare(url: str, name: str) -> str:
            env = {"GOALS_DATABASE_URL": url}
            return stack.enter_context(
                wrk.serve("bench.reference:create_app", "/bare/healthcheck", env, name)
            )

        small, large = service(small_url, "goals-small"), service(large_url, "goals-large")
        bare_large = bare(large_url, "bare-large")
        # Warm each side (the JWKS fetched, each pooled connection's statements prepared).
        for base in (small, large):
            wrk.wrk(base, [f"/goals/{MOBILE_USER}"], headers=mobile, seconds=1)
            wrk.wrk(base, [f"/goals/{HEAVY_USER}"], headers=heavy, seconds=1)
        wrk.wrk(bare_large, [f"/bare/{MOBILE_USER}", f"/bare/{HEAVY_USER}"], seconds=1)
        print(
            f"goals bench: {LARGE:,} goals (and {SMALL:,}), wrk -t1 -c{wrk.CONNECTIONS},"
            f" {wrk.ROUNDS} rounds of {wrk.SECONDS:g} s per side, one uvicorn process each,"
            f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        wrk.compare(
            f"GET /goals/{{id}} with a token, {MOBILE_GOALS} goals, against bare Litestar + SQL",
            (large, [f"/goals/{MOBILE_USER}"]),
            (bare_large, [f"/bare/{MOBILE_USER}"]),
            headers=mobile,
            reference_headers={},
            goal=0.8,
        )
        wrk.compare(
            "the access line's cost: the same read, the same server with its line off",
            (large, [f"/goals/{MOBILE_USER}"]),
            (large, [f"/goals/{MOBILE_USER}"]),
            headers=mobile,
            switch=lambda on: wrk.access_lines(large, on),
            goal=0.95,
        )
        page = f"/{HEAVY_USER}"
        wrk.compare(
            f"GET /goals/{{id}}, first page of {LARGE:,} goals, against bare Litestar + SQL",
            (large, [f"/goals{page}"]),
            (bare_large, [f"/bare{page}"]),
            headers=heavy,
            reference_headers={},
            goal=0.5,
        )
        wrk.compare(
            f"GET /goals/{{id}}, first page: {LARGE:,} goals against {SMALL:,}",
            (large, [f"/goals{page}"]),
            (small, [f"/goals{page}"]),
            headers=heavy,
            goal=FLAT,
        )
        wrk.compare(
            f"metricsProgress x4, days={DASHBOARD_DAYS}, at {LARGE:,} goals, against bare",
            (large, [f"/goals{path}" for path in dashboard]),
            (bare_large, [f"/bare{path}" for path in dashboard]),
            headers=mobile,
            reference_headers={},
            goal=0.5,
        )
        wrk.compare(
            f"metricsProgress x4, days={DASHBOARD_DAYS}: {LARGE:,} goals against {SMALL:,}",
            (large, [f"/goals{path}" for path in dashboard]),
            (small, [f"/goals{path}" for path in dashboard]),
            headers=mobile,
            goal=FLAT,
        )


if __name__ == "__main__":
    main()
