"""`make bench`: trainings' lists and reads against their ceiling, and at 1 000 against 100 000
trainings.

Builds two databases with the migrations (tests/database.py), seeded by COPY (the count triggers
run once per COPY): `trainings_bench_small` with BENCH_SMALL trainings (1 000) and
`trainings_bench_large` with BENCH_LARGE (100 000). Every type comes with every difficulty
evenly, each training has two exercises, every trainer has 100 trainings (trainers grow with the
data, as they would), titles are two of eight words and a number, and 50 athletes have 20
favourites each. Serves the service on each database and the bare reference (bench/reference.py:
the same repository SQL on a bare Litestar app) on the large one, all with bench/wrk.py's
`serve`, takes a token from the running authentication service, and prints each comparison as
wrk measured it (bench/wrk.py `compare`: the two sides alternately, BENCH_ROUNDS rounds (6) of
BENCH_SECONDS (1 s), the medians and their ratio):

- `GET /trainings/{id}` with a token, against the bare app running the same SQL: goal 0.8; and
  against the same server with its access line off (bench/wrk.py `access_lines`, between
  rounds): what the line and the request id cost, goal under 5% (a ratio of 0.95);
- every list shape the clients send (original-clients.md T4, T5, T8, T10): plain pages, a type,
  a difficulty, both, a title prefix, a trainer's own searches, deep offsets (half-way, 90 %,
  the last page) and favourites, against the bare app: goal 0.5; and against the same shape at
  1 000 trainings: within 1.5x, a ratio of 0.67 (deep offsets at the same fraction of the list).

Figures depend on the machine; this prints them and asserts nothing. Media are left out (pages
of images cost their images: the storage client's cache, not the lists, bounds those).

    make bench                                              # about 5 minutes
    BENCH_ROUNDS=2 BENCH_LARGE=20000 make bench
"""

import asyncio
import os
import random
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the tests' database bootstrap and tokens, and bench/
sys.path.insert(0, str(HERE))
import wrk  # noqa: E402

from tests.database import drop_database, fresh_database  # noqa: E402
from tests.helpers import bearer, issue_token  # noqa: E402

POSTGRES = os.environ.get("TRAININGS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
# A Redis database of its own (blocked users, the event stream).
REDIS_URL = os.environ.get("TRAININGS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
AUTH_URL = os.environ.get("TRAININGS_AUTH_URL", "http://127.0.0.1:8002")
SERVICE_TOKEN = os.environ.get("TRAININGS_SERVICE_TOKEN", "fiufit-local-service-token")
SMALL = int(os.environ.get("BENCH_SMALL", "1000"))
LARGE = int(os.environ.get("BENCH_LARGE", "100000"))
# Shorter runs and more rounds than wrk.py's defaults: this bench compares 18 pairs, and finer
# alternation lets both sides of a pair share the machine's other load more evenly.
SECONDS = float(os.environ.get("BENCH_SECONDS", "1"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "6"))
PER_TRAINER = 100
FIRST_TRAINER = 1000
ATHLETES = range(5001, 5051)
FAVOURITES = 20
PAGE = 10
TYPES = ["Cardio", "Leg", "Arm", "Chest", "Back", "Abdomen"]  # ids 1..6, as migrated
DIFFICULTIES = ["Easy", "Medium", "Hard"]
WORDS = ["Morning", "Evening", "Power", "Core", "Cardio", "Strength", "Quick", "Full body"]
# Within 1.5x of the time at SMALL: a rate at least 1/1.5 of it.
FLAT = 1 / 1.5


def _training(i: int, rng: random.Random) -> tuple[object, ...]:
    title = f"{rng.choice(WORDS)} {rng.choice(WORDS).lower()} {i:06d}"
    trainer = FIRST_TRAINER + (i - 1) // PER_TRAINER
    return (i, trainer, title, "A seeded training", i % 6 + 1, i // 6 % 3 + 1)


async def seed(name: str, trainings: int) -> str:
    """A migrated database `name` with `trainings` trainings (ids 1..trainings), their
    exercises and the athletes' favourites."""
    url = await fresh_database(POSTGRES, name, HERE.parent / "migrations")
    rng = random.Random(7)
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table(
            "trainings",
            records=[_training(i, rng) for i in range(1, trainings + 1)],
            columns=["id", "trainer_id", "title", "description", "type_id", "difficulty_id"],
        )
        await conn.execute("SELECT setval('trainings_id_seq', $1)", trainings)
        exercises = {row["type_id"]: row["ids"] for row in await conn.fetch(
            "SELECT type_id, array_agg(id ORDER BY id) AS ids FROM exercises GROUP BY type_id"
        )}  # fmt: skip
        await conn.copy_records_to_table(
            "training_exercises",
            records=[
                (i, position, exercises[i % 6 + 1][position], 10, 3)
                for i in range(1, trainings + 1)
                for position in (0, 1)
            ],
            columns=["training_id", "position", "exercise_id", "count", "series"],
        )
        await conn.copy_records_to_table(
            "favourites",
            records=[
                (athlete, training_id)
                for athlete in ATHLETES
                for training_id in rng.sample(range(1, trainings + 1), FAVOURITES)
            ],
            columns=["user_id", "training_id"],
        )
        # As autovacuum would have: statistics, and a visibility map for index-only scans.
        await conn.execute("VACUUM ANALYZE")
        # The seed's dirty pages written now, not by a checkpoint during the first rounds.
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    return url


def shapes(trainings: int) -> dict[str, list[str]]:
    """The paths of each list shape at `trainings` trainings (deep offsets scale with it)."""
    trainers = [FIRST_TRAINER + k for k in range(min(10, trainings // PER_TRAINER))]
    both = [(t, d) for t in TYPES for d in DIFFICULTIES]
    per_pair = trainings // len(both)
    deep = [int(trainings * 0.5), int(trainings * 0.9), trainings - PAGE]
    return {
        "plain pages (back office)": [
            f"/trainings?offset={PAGE * k}&limit={PAGE}" for k in range(10)
        ],
        "a type": [f"/trainings?training_type={t}" for t in TYPES],
        "a difficulty": [f"/trainings?difficulty={d}" for d in DIFFICULTIES],
        "a type and a difficulty": [
            f"/trainings?training_type={t}&difficulty={d}&offset={PAGE * k}&limit={PAGE}"
            for t, d in both
            for k in range(3)
        ],
        "a title prefix": [f"/trainings?title={w[:3].lower()}" for w in WORDS],
        "a trainer's own (alone, with filters, with a title)": [
            path
            for trainer in trainers
            for path in (
                f"/trainings?trainer_id={trainer}",
                f"/trainings?trainer_id={trainer}&training_type=Arm&difficulty=Easy",
                f"/trainings?trainer_id={trainer}&difficulty=Hard",
                f"/trainings?trainer_id={trainer}&title=mor",
            )
        ],
        "deep offsets (50 %, 90 %, last page; also filtered)": [
            *(f"/trainings?offset={offset}&limit={PAGE}" for offset in deep),
            f"/trainings?training_type=Arm&difficulty=Easy&offset={int(per_pair * 0.9)}",
            f"/trainings?difficulty=Hard&offset={int(trainings / 3 * 0.9)}",
        ],
        "favourites": [
            path
            for athlete in ATHLETES
            for path in (f"/users/{athlete}/trainings", f"/users/{athlete}/trainings?offset=10")
        ],
    }


def service_env(database_url: str) -> dict[str, str]:
    """The service as deployed (default settings) on `database_url`; no metrics listener, so
    two instances can run side by side."""
    return {
        "TRAININGS_DATABASE_URL": database_url,
        "TRAININGS_REDIS_URL": REDIS_URL,
        "TRAININGS_AUTH_URL": AUTH_URL,
        "TRAININGS_SERVICE_TOKEN": SERVICE_TOKEN,
        "TRAININGS_PROMETHEUS_PORT": "0",
    }


async def clean_up() -> None:
    for name in ("trainings_bench_small", "trainings_bench_large"):
        await drop_database(POSTGRES, name)


def main() -> None:
    wrk.ensure_wrk()
    started = time.monotonic()
    small_url = asyncio.run(seed("trainings_bench_small", SMALL))
    large_url = asyncio.run(seed("trainings_bench_large", LARGE))
    print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)
    rng = random.Random(5)
    athlete = bearer(issue_token("user", min(ATHLETES), is_athlete=True))
    try:
        with ExitStack() as stack:

            def serve(factory: str, ready: str, env: dict[str, str], name: str) -> str:
                return stack.enter_context(wrk.serve(factory, ready, env, name))

            small = serve("trainings.app:create_app", "/trainings/healthcheck/",
                          service_env(small_url), "trainings-small")  # fmt: skip
            large = serve("trainings.app:create_app", "/trainings/healthcheck/",
                          service_env(large_url), "trainings-large")  # fmt: skip
            bare = serve("bench.reference:create_app", "/bare/healthcheck",
                         {"TRAININGS_DATABASE_URL": large_url}, "bare-large")  # fmt: skip
            print(
                f"trainings bench: {LARGE:,} trainings (and {SMALL:,}), wrk -t1"
                f" -c{wrk.CONNECTIONS}, {ROUNDS} rounds of {SECONDS:g} s per side, one"
                f" uvicorn process each, {os.cpu_count()} CPUs, load average"
                f" {os.getloadavg()[0]:.1f}",
                flush=True,
            )

            def compare(
                name: str, service: tuple[str, list[str]], reference: tuple[str, list[str]],
                goal: float | None, switch: Callable[[bool], None] | None = None,
            ) -> None:  # fmt: skip
                wrk.compare(name, service, reference, headers=athlete, switch=switch, goal=goal,
                            seconds=SECONDS, rounds=ROUNDS)  # fmt: skip

            def on_bare(paths: list[str]) -> tuple[str, list[str]]:
                return bare, [f"/bare{path}" for path in paths]

            reads = [f"/trainings/{rng.randint(1, SMALL)}" for _ in range(500)]
            against = f"{LARGE:,} trainings, against bare Litestar + SQL"
            compare(f"GET /trainings/{{id}} with a token, {against}", (large, reads),
                    on_bare(reads), 0.8)  # fmt: skip
            compare("the access line's cost: the same read, the same server with its line off",
                    (large, reads), (large, reads), 0.95,
                    lambda on: wrk.access_lines(large, on))  # fmt: skip
            at_small = shapes(SMALL)
            for name, paths in shapes(LARGE).items():
                compare(f"GET {name}, {against}", (large, paths), on_bare(paths), 0.5)
                compare(f"GET {name}: {LARGE:,} trainings against {SMALL:,}", (large, paths),
                        (small, at_small[name]), FLAT)  # fmt: skip
    finally:
        asyncio.run(clean_up())
    print(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
