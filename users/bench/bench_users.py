"""Load figures for the users service: GET /users/{id}, username search and nearby search with
10 000 trainers, 50 concurrent connections. Starts the service as a subprocess on a free port
against throw-away stores (Postgres db `users_bench`, MongoDB db `fiufit_bench_users`, Redis db 1)
and the running authentication service, prints requests/s and p50/p99, and cleans up.

    make bench    (BENCH_TRAINERS=10000 BENCH_REQUESTS=2000 BENCH_NEARBY_REQUESTS=100
                   BENCH_CONCURRENCY=50 BENCH_MAX_SECONDS=60 by default)
"""

import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import asyncpg
import httpx
from pymongo import AsyncMongoClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the suite's tests/database.py makes the database

from tests.database import drop_database, fresh_database  # noqa: E402

POSTGRES = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASE_URL = f"{POSTGRES}/users_bench"
MONGO_URL = os.environ.get("USERS_MONGO_URL", "mongodb://127.0.0.1:27017")
MONGO_DATABASE = "fiufit_bench_users"
AUTH_URL = os.environ.get("USERS_AUTH_URL", "http://127.0.0.1:8002")
SERVICE_TOKEN = os.environ.get("USERS_SERVICE_TOKEN", "fiufit-local-service-token")
TRAINERS = int(os.environ.get("BENCH_TRAINERS", "10000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
# SecantusDB answers $geoNear by scanning every point (seconds at 10 000): fewer requests there.
NEARBY_REQUESTS = int(os.environ.get("BENCH_NEARBY_REQUESTS", "100"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "50"))
MAX_SECONDS = float(os.environ.get("BENCH_MAX_SECONDS", "60"))  # per scenario, a hard stop
CENTRE = (-58.4372, -34.5989)  # villa crespo
BIRTH = date(1990, 1, 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def seed() -> list[tuple[int, str]]:
    """TRAINERS trainers within ~5 km of the centre; returns (id, username) pairs."""
    rng = random.Random(7)
    rows = [
        (
            f"bench-{i}",
            f"trainer{i}@example.com",
            f"trainer_{i}",
            "Ana",
            "Gómez",
            1.7,
            65,
            BIRTH,
            "villa crespo",
            False,
            "email",
        )
        for i in range(TRAINERS)
    ]
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        await conn.copy_records_to_table(
            "users",
            records=rows,
            columns=[
                "firebase_uid",
                "email",
                "username",
                "name",
                "surname",
                "height",
                "weight",
                "birth_date",
                "location",
                "is_athlete",
                "signed_up_with",
            ],
        )
        users = [
            (r["id"], r["username"]) for r in await conn.fetch("SELECT id, username FROM users")
        ]
    finally:
        await conn.close()
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(MONGO_URL)
    try:
        await mongo.drop_database(MONGO_DATABASE)
        documents = [
            {
                "user_id": user_id,
                "is_athlete": False,
                "location": {
                    "type": "Point",
                    "coordinates": [
                        CENTRE[0] + rng.uniform(-0.05, 0.05),
                        CENTRE[1] + rng.uniform(-0.05, 0.05),
                    ],
                },
            }
            for user_id, _ in users
        ]
        await mongo[MONGO_DATABASE]["user_location"].insert_many(documents, ordered=False)
    finally:
        await mongo.close()
    return users


async def token() -> str:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{AUTH_URL}/auth/token",
            json={"role": "user", "id": 1, "is_athlete": True},
            headers={"X-Service-Token": SERVICE_TOKEN},
        )
        response.raise_for_status()
        return str(response.json()["data"])


def start_service(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "USERS_PORT": str(port),
        "USERS_HOST": "127.0.0.1",
        "USERS_DATABASE_URL": DATABASE_URL,
        "USERS_DATABASE_POOL_MAX": str(CONCURRENCY),
        "USERS_MONGO_URL": MONGO_URL,
        "USERS_MONGO_DATABASE": MONGO_DATABASE,
        "USERS_REDIS_URL": "redis://127.0.0.1:6379/1",
        "USERS_AUTH_URL": AUTH_URL,
        "USERS_SERVICE_TOKEN": SERVICE_TOKEN,
        "USERS_PROMETHEUS_PORT": "0",
        "USERS_LOG_LEVEL": "WARNING",
        "USERS_OUTBOX_RELAY": "false",
        "USERS_BOOTSTRAP_ADMIN_EMAIL": "",
    }
    with log.open("wb") as out:  # the child keeps its own descriptor
        return subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "fiufit-users")],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def wait_ready(base: str, log: Path) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(600):
            try:
                if (await http.get(f"{base}/users/readiness/")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the service did not become ready; its output is in {log}")


async def scenario(
    name: str, base: str, headers: dict[str, str], url: Callable[[int], str], requests: int
) -> None:
    if requests <= 0:
        return
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    counter = iter(range(requests))
    deadline = time.monotonic() + MAX_SECONDS
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=600
    ) as http:

        async def worker() -> None:
            for i in counter:
                if time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                try:
                    response = await http.get(url(i))
                    if response.status_code != 200:
                        errors[str(response.status_code)] += 1
                except httpx.HTTPError as error:
                    errors[type(error).__name__] += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    print(
        f"{name:<34} {len(latencies) / elapsed:8.1f} req/s   p50 {p50:7.1f} ms   "
        f"p99 {p99:7.1f} ms   ({len(latencies)} requests, errors: {dict(errors) or 'none'})"
    )


async def main() -> None:
    asyncio.run(fresh_database(POSTGRES, "users_bench", ROOT / "migrations"))
    print(f"seeding {TRAINERS} trainers ...", flush=True)
    users = await seed()
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"users-bench-{port}.log"
    server = start_service(port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base, log)
        headers = {"Authorization": f"Bearer {await token()}"}
        rng = random.Random(11)
        picks = [rng.choice(users) for _ in range(REQUESTS)]
        print(f"{CONCURRENCY} concurrent connections, {TRAINERS} trainers")
        await scenario(
            "GET /users/{id}", base, headers, lambda i: f"/users/{picks[i][0]}", REQUESTS
        )
        await scenario(
            "GET /users?username=",
            base,
            headers,
            lambda i: f"/users?username={picks[i][1]}",
            REQUESTS,
        )

        def nearby(i: int) -> str:
            lon = CENTRE[0] + rng.uniform(-0.03, 0.03)
            lat = CENTRE[1] + rng.uniform(-0.03, 0.03)
            return f"/users?latitude={lat}&longitude={lon}&radius=1000"

        await scenario("GET /users?latitude&longitude", base, headers, nearby, NEARBY_REQUESTS)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.returncode in (0, -15):
            log.unlink(missing_ok=True)
        await drop_database(POSTGRES, "users_bench")
        mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(MONGO_URL)
        await mongo.drop_database(MONGO_DATABASE)
        await mongo.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
