"""`make bench`: users' reads against their ceiling, and at 1 000 against 100 000 users.

Builds two databases with the migrations (tests/database.py), seeded by COPY: `users_bench_small`
with BENCH_SMALL users (1 000) and `users_bench_large` with BENCH_LARGE (100 000). In both, user
1 is followed by every other user (the much-followed account), and every user follows the next
three, so a typical user has three followers and follows four. Serves the service on each
database and the bare reference
(bench/reference.py: the same repository SQL on a bare Litestar app) on the large one, all with
bench/wrk.py's `serve`, takes tokens from the running authentication service, and prints each
comparison as wrk measured it (bench/wrk.py `compare`: the two sides alternately, BENCH_ROUNDS
rounds (7) of BENCH_SECONDS (2), the medians and their ratio):

- `GET /users/{id}` with a token, against the bare app running the same SQL: goal 0.8; and against
  the same server with its access line off (bench/wrk.py `access_lines`, between rounds): what
  the line and the request id cost, goal under 5% (a ratio of 0.95). One process on both sides:
  two processes of the same app differ by up to 8% here (an A/A run), more than the line costs;
- a typical user's whole `followers` and `followed` lists, likewise: goal 0.8;
- pages of 10 of the much-followed user's followers, of the admin's user list (with its
  `total`) and the username search, against the bare app: goal 0.5; and against the same
  requests at 1 000 users: within 1.5x, a ratio of 0.67;
- the admin list's last page (the deepest offset), against the bare app: a figure;
- the nearby search on BENCH_NEARBY trainers' positions (2 000), against the same `$geoNear`
  called directly: a figure, in seconds per search (SecantusDB scans every point; MongoDB
  serves it from the 2dsphere index).

Figures depend on the machine; this prints them and asserts nothing.

    make bench                          # about 6 minutes
    BENCH_SECONDS=1 BENCH_ROUNDS=1 BENCH_LARGE=20000 BENCH_NEARBY=500 make bench   # a quick look
"""

import asyncio
import json
import os
import random
import statistics
import sys
import time
import urllib.request
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from pymongo import AsyncMongoClient

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the tests' database bootstrap, and bench/ itself
sys.path.insert(0, str(HERE))
import wrk  # noqa: E402

from tests.database import drop_database, fresh_database  # noqa: E402
from users.geo import COLLECTION, Positions  # noqa: E402

POSTGRES = os.environ.get("USERS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
# A Redis database of its own: the service rewrites the blocked set there from its database.
REDIS_URL = os.environ.get("USERS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
MONGO_URL = os.environ.get("USERS_MONGO_URL", "mongodb://127.0.0.1:27017")
MONGO_DATABASE = "fiufit_bench_users"
AUTH_URL = os.environ.get("USERS_AUTH_URL", "http://127.0.0.1:8002")
SERVICE_TOKEN = os.environ.get("USERS_SERVICE_TOKEN", "fiufit-local-service-token")
SMALL = int(os.environ.get("BENCH_SMALL", "1000"))
LARGE = int(os.environ.get("BENCH_LARGE", "100000"))
NEARBY = int(os.environ.get("BENCH_NEARBY", "2000"))  # trainers with a position
NEARBY_SEARCHES = int(os.environ.get("BENCH_NEARBY_SEARCHES", "3"))
FOLLOWED_USER = 1  # followed by everybody
FOLLOWS_EACH = 3  # every user follows the next three
PAGE = 10
CENTRE = (-58.4372, -34.5989)  # villa crespo
# Within 1.5x of the time at SMALL: a rate at least 1/1.5 of it.
FLAT = 1 / 1.5
# Shorter runs, more of them, than bench/wrk.py's defaults: on a shared machine the neighbours'
# load changes within seconds, and quick alternation puts both sides under the same load.
SECONDS = float(os.environ.get("BENCH_SECONDS", "2"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))


def _user(n: int) -> tuple[object, ...]:
    return (
        f"bench-{n}",
        f"user{n}@example.com",
        f"user_{n}",
        "Ana",
        "Gómez",
        1.7,
        65,
        date(1990, 1, 1),
        "villa crespo",
        n % 2 == 0,
        "email",
    )


async def seed(name: str, users: int) -> str:
    """A migrated database `name` with `users` users (ids 1..users) and their follows."""
    url = await fresh_database(POSTGRES, name, HERE.parent / "migrations")
    now = datetime.now(UTC)
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table(
            "users",
            records=[_user(n) for n in range(1, users + 1)],
            columns=[
                *("firebase_uid", "email", "username", "name", "surname", "height"),
                *("weight", "birth_date", "location", "is_athlete", "signed_up_with"),
            ],
        )
        assert await conn.fetchval("SELECT max(id) FROM users") == users
        follows = [
            (n, FOLLOWED_USER, now - timedelta(seconds=users - n))
            for n in range(1, users + 1)
            if n != FOLLOWED_USER
        ]
        follows += [
            (n, (n + k - 1) % users + 1, now - timedelta(seconds=users + n, milliseconds=k))
            for n in range(1, users + 1)
            for k in range(1, FOLLOWS_EACH + 1)
            if (n + k - 1) % users + 1 != FOLLOWED_USER
        ]
        # Every id exists by construction: the foreign-key triggers, which would check each of
        # these rows one by one (most of the seeding time), are off for this COPY only.
        await conn.execute("SET session_replication_role = replica")
        await conn.copy_records_to_table(
            "follows", records=follows, columns=["follower_id", "followed_id", "created_at"]
        )
        await conn.execute("RESET session_replication_role")
        # As autovacuum would have: statistics, and a visibility map for index-only scans.
        await conn.execute("VACUUM ANALYZE")
        # The seed's dirty pages written now, not by a checkpoint during the first rounds.
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    return url


async def seed_positions(trainers: int) -> None:
    """`trainers` trainers' positions within ~5 km of the centre (SecantusDB, its own db)."""
    rng = random.Random(7)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO_URL)
    try:
        await mongo.drop_database(MONGO_DATABASE)
        documents = [
            {
                "user_id": 2 * n + 1,  # the odd ids are the trainers
                "is_athlete": False,
                "location": {
                    "type": "Point",
                    "coordinates": [
                        CENTRE[0] + rng.uniform(-0.05, 0.05),
                        CENTRE[1] + rng.uniform(-0.05, 0.05),
                    ],
                },
            }
            for n in range(trainers)
        ]
        # SecantusDB inserts faster in parallel batches, and into a collection not yet indexed.
        collection = mongo[MONGO_DATABASE][COLLECTION]
        batches = [documents[i::4] for i in range(4)]
        await asyncio.gather(*(collection.insert_many(b, ordered=False) for b in batches if b))
        await Positions(mongo, MONGO_DATABASE).ensure_indexes()
    finally:
        await mongo.close()


async def seed_all() -> tuple[str, str]:
    """The two databases and the positions at once (the servers do most of the work)."""
    small, large, _ = await asyncio.gather(
        seed("users_bench_small", SMALL), seed("users_bench_large", LARGE), seed_positions(NEARBY)
    )
    return small, large


async def nearby(base: str, headers: dict[str, str]) -> None:
    """Seconds per nearby search, the service's against the same `$geoNear` called directly."""
    rng = random.Random(11)
    points = [
        (CENTRE[0] + rng.uniform(-0.03, 0.03), CENTRE[1] + rng.uniform(-0.03, 0.03))
        for _ in range(NEARBY_SEARCHES)
    ]
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO_URL)
    positions = Positions(mongo, MONGO_DATABASE)
    ours: list[float] = []
    theirs: list[float] = []
    try:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=600) as http:
            for lon, lat in points:
                started = time.perf_counter()
                params = {"latitude": lat, "longitude": lon, "radius": 1000}
                (await http.get("/users", params=params)).raise_for_status()
                ours.append(time.perf_counter() - started)
                started = time.perf_counter()
                await positions.trainers_near(lon, lat, 1000, 0, PAGE)
                theirs.append(time.perf_counter() - started)
    finally:
        await mongo.close()
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"GET /users?latitude&longitude&radius=1000, {NEARBY:,} trainers (a figure)")
    print(f"  service    {a:9.3f} s per search (median of {len(ours)})")
    print(f"  reference  {b:9.3f} s per search, $geoNear called directly")
    print(f"  ratio {b / a if a else 0:.2f}", flush=True)


async def clean_up() -> None:
    for name in ("users_bench_small", "users_bench_large"):
        await drop_database(POSTGRES, name)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO_URL)
    try:
        await mongo.drop_database(MONGO_DATABASE)
    finally:
        await mongo.close()


def token(role: str, user_id: int) -> dict[str, str]:
    """A bearer header, from the running authentication service."""
    claims: dict[str, object] = {"role": role, "id": user_id}
    if role == "user":
        claims["is_athlete"] = True
    request = urllib.request.Request(
        f"{AUTH_URL}/auth/token",
        data=json.dumps(claims).encode(),
        headers={"X-Service-Token": SERVICE_TOKEN, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return {"Authorization": f"Bearer {json.load(answer)['data']}"}


def service_env(database_url: str) -> dict[str, str]:
    """The service as deployed (default settings) on `database_url`; no metrics listener, so
    two instances can run side by side, and no bootstrap admin (a local.env may name one)."""
    return {
        "USERS_DATABASE_URL": database_url,
        "USERS_REDIS_URL": REDIS_URL,
        "USERS_EVENTS_REDIS_URL": "",
        "USERS_MONGO_URL": MONGO_URL,
        "USERS_MONGO_DATABASE": MONGO_DATABASE,
        "USERS_AUTH_URL": AUTH_URL,
        "USERS_SERVICE_TOKEN": SERVICE_TOKEN,
        "USERS_PROMETHEUS_PORT": "0",
        "USERS_BOOTSTRAP_ADMIN_EMAIL": "",
    }


def main() -> None:
    wrk.ensure_wrk()
    started = time.monotonic()
    small_url, large_url = asyncio.run(seed_all())
    print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)
    rng = random.Random(5)
    anyone = [rng.randint(1, LARGE) for _ in range(500)]
    in_both = [rng.randint(2, SMALL) for _ in range(500)]  # the same rows in either database
    user, admin = token("user", 2), token("admin", 1)
    try:
        with ExitStack() as stack:

            def serve(factory: str, ready: str, env: dict[str, str], name: str) -> str:
                return stack.enter_context(wrk.serve(factory, ready, env, name))

            app, ready = "users.app:create_app", "/users/healthcheck/"
            small = serve(app, ready, service_env(small_url), "users-small")
            large = serve(app, ready, service_env(large_url), "users-large")
            bare = serve("bench.reference:create_app", "/bare/healthcheck",
                         {"USERS_DATABASE_URL": large_url}, "bare-large")  # fmt: skip
            # Each server's first requests fill its pool, fetch the JWKS and verify the tokens,
            # and the reads bring the rows they touch into Postgres' buffers.
            for base in (small, large):
                wrk.wrk(base, [f"/users/{i}" for i in anyone], headers=user, seconds=2)
                wrk.wrk(base, ["/users?limit=1"], headers=admin, seconds=1)
            wrk.wrk(bare, ["/bare/users/2", "/bare/users?limit=1"], seconds=1)
            print(
                f"users bench: {LARGE:,} users (and {SMALL:,}), wrk -t1 -c{wrk.CONNECTIONS},"
                f" {ROUNDS} rounds of {SECONDS:g} s per side, one uvicorn process each,"
                f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )

            def against_bare(
                name: str, paths: list[str], headers: dict[str, str], goal: float
            ) -> None:
                wrk.compare(
                    f"{name}, {LARGE:,} users, against bare Litestar + SQL",
                    (large, paths),
                    (bare, [f"/bare{p}" for p in paths]),
                    headers=headers,
                    reference_headers={},
                    goal=goal,
                    rounds=ROUNDS,
                    seconds=SECONDS,
                )

            def against_small(name: str, paths: list[str], headers: dict[str, str]) -> None:
                wrk.compare(
                    f"{name}: {LARGE:,} users against {SMALL:,}",
                    (large, paths),
                    (small, paths),
                    headers=headers,
                    goal=FLAT,
                    rounds=ROUNDS,
                    seconds=SECONDS,
                )

            against_bare("GET /users/{id} with a token", [f"/users/{i}" for i in anyone], user,
                         0.8)  # fmt: skip
            wrk.compare(
                "the access line's cost: the same read, the same server with its line off",
                (large, [f"/users/{i}" for i in anyone]),
                (large, [f"/users/{i}" for i in anyone]),
                headers=user,
                switch=lambda on: wrk.access_lines(large, on),
                goal=0.95,
                rounds=ROUNDS,
                seconds=SECONDS,
            )
            lists = [f"/users/{i}/{which}" for i in anyone for which in ("followers", "followed")]
            against_bare("GET /users/{id}/followers and /followed, whole lists", lists, user, 0.8)
            fans = [
                f"/users/{FOLLOWED_USER}/followers?offset={PAGE * k}&limit={PAGE}"
                for k in range(10)
            ]
            name = f"GET /users/{{id}}/followers, pages of {PAGE}, {LARGE - 1:,} followers"
            against_bare(name, fans, user, 0.5)
            against_small(name.split(",")[0] + f", pages of {PAGE}", fans, user)
            pages = [f"/users?offset={PAGE * k}&limit={PAGE}" for k in range(10)]
            against_bare("GET /users?offset&limit (admin) with total", pages, admin, 0.5)
            against_small("GET /users?offset&limit (admin) with total", pages, admin)
            names = [f"/users?username=user_{i}" for i in in_both]
            against_bare("GET /users?username=", names, user, 0.5)
            against_small("GET /users?username=", names, user)
            wrk.compare(
                f"GET /users?offset={LARGE - PAGE}&limit={PAGE} (admin, the last page), "
                f"{LARGE:,} users, against bare Litestar + SQL (a figure)",
                (large, [f"/users?offset={LARGE - PAGE}&limit={PAGE}"]),
                (bare, [f"/bare/users?offset={LARGE - PAGE}&limit={PAGE}"]),
                headers=admin,
                reference_headers={},
                rounds=ROUNDS,
                seconds=SECONDS,
            )
            if NEARBY and NEARBY_SEARCHES:
                asyncio.run(nearby(large, user))
    finally:
        asyncio.run(clean_up())
    print(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
