"""Filtered search over 10 000 trainings at 50 concurrent connections, with and without media.

Runs the real server (uvicorn, one process) against its own database ``trainings_bench`` and the
running authentication service (media storage), then prints requests/s and p50/p99 per scenario.
Figures depend on the machine: this prints them, it asserts nothing.

    make bench            # or: uv run python bench/bench_search.py [--seconds 10]
"""

import argparse
import asyncio
import base64
import contextlib
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the suite's tests/database.py makes the database

from tests.database import fresh_database  # noqa: E402

POSTGRES = os.environ.get("TRAININGS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASE = "trainings_bench"
DATABASE_URL = f"{POSTGRES}/{DATABASE}"
AUTH_URL = os.environ.get("TRAININGS_AUTH_URL", "http://127.0.0.1:8002")
SERVICE_TOKEN = os.environ.get("TRAININGS_SERVICE_TOKEN", "fiufit-local-service-token")
REDIS_URL = os.environ.get("TRAININGS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
PORT = 18003
TRAININGS = 10_000
CONNECTIONS = 50
MEDIA_TYPE = 4  # Chest: these trainings carry an image (about 1 700 of them)
IMAGE_BYTES = 16 * 1024
WORDS = ["Morning", "Evening", "Power", "Core", "Cardio", "Strength", "Quick", "Full body"]


@dataclass
class Result:
    name: str
    rate: float  # requests/s
    p50: float  # ms
    p99: float  # ms
    errors: int

    def line(self) -> str:
        return (
            f"{self.name:<38} {self.rate:8.0f} req/s   p50 {self.p50:7.1f} ms"
            f"   p99 {self.p99:7.1f} ms   errors {self.errors}"
        )


def image(seed: int) -> str:
    body = random.Random(seed).randbytes(IMAGE_BYTES)
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + body).decode()


async def upload(names: list[str]) -> None:
    limits = asyncio.Semaphore(16)
    async with httpx.AsyncClient(
        base_url=f"{AUTH_URL}/auth/storage", headers={"X-Service-Token": SERVICE_TOKEN}, timeout=30
    ) as http:

        async def put(i: int, name: str) -> None:
            async with limits:
                for attempt in range(5):  # a loaded machine drops a connection now and then
                    try:
                        response = await http.put(f"/{name}", json={"image": image(i)})
                        response.raise_for_status()
                        return
                    except httpx.TransportError:
                        await asyncio.sleep(0.2 * (attempt + 1))
                raise RuntimeError(f"could not store {name}")

        await asyncio.gather(*(put(i, name) for i, name in enumerate(names)))


async def delete_media(names: list[str]) -> None:
    limits = asyncio.Semaphore(16)
    async with httpx.AsyncClient(
        base_url=f"{AUTH_URL}/auth/storage", headers={"X-Service-Token": SERVICE_TOKEN}, timeout=30
    ) as http:

        async def delete(name: str) -> None:
            async with limits:
                with contextlib.suppress(httpx.HTTPError):  # best effort
                    await http.delete(f"/{name}")

        await asyncio.gather(*(delete(name) for name in names))


async def seed() -> list[str]:
    """10 000 trainings, every type with every difficulty evenly, 2 exercises each."""
    rng = random.Random(7)
    rows = []
    media: list[str] = []
    for i in range(1, TRAININGS + 1):
        type_id, difficulty_id = i % 6 + 1, i // 6 % 3 + 1
        name = f"trainings/{i}/media-bench" if type_id == MEDIA_TYPE else None
        if name:
            media.append(name)
        title = f"{rng.choice(WORDS)} {rng.choice(WORDS).lower()} {i:05d}"
        rows.append((i, 1000 + i % 100, title, "A seeded training", type_id, difficulty_id, name))
    connection = await asyncpg.connect(DATABASE_URL)
    try:
        await connection.copy_records_to_table(
            "trainings",
            records=rows,
            columns=[
                "id",
                "trainer_id",
                "title",
                "description",
                "type_id",
                "difficulty_id",
                "media",
            ],
        )
        await connection.execute(
            "INSERT INTO training_exercises (training_id, position, exercise_id, count, series)"
            " SELECT t.id, p.position, e.id, 10, 3 FROM trainings t"
            " CROSS JOIN generate_series(0, 1) AS p(position)"
            " JOIN LATERAL (SELECT id FROM exercises WHERE type_id = t.type_id"
            "   ORDER BY id OFFSET p.position LIMIT 1) e ON true"
        )
        await connection.execute("SELECT setval('trainings_id_seq', $1)", TRAININGS)
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    await upload(media)
    return media


async def explain() -> None:
    """Which index each search shape uses, as the server's prepared statements see it."""
    connection = await asyncpg.connect(DATABASE_URL)
    shapes = {
        "type + difficulty": "t.type_id = 3 AND t.difficulty_id = 1",
        "difficulty": "t.difficulty_id = 1",
        "trainer": "t.trainer_id = 1042",
        "title prefix": "lower(t.title) LIKE lower('core') || '%'",
    }
    try:
        for name, where in shapes.items():
            for query in (
                f"SELECT t.* FROM trainings t WHERE {where} ORDER BY t.id DESC LIMIT 10",
                f"SELECT count(*) FROM trainings t WHERE {where}",
            ):
                plan = await connection.fetch(f"EXPLAIN {query}")
                used = [r[0].strip() for r in plan if "Index" in r[0] or "Seq Scan" in r[0]]
                kind = "page " if "LIMIT" in query else "count"
                print(f"  {name:<18} {kind}: {used[0] if used else plan[0][0]}")
    finally:
        await connection.close()


def start_server(cache_bytes: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TRAININGS_PORT": str(PORT),
        "TRAININGS_HOST": "127.0.0.1",
        "TRAININGS_DATABASE_URL": DATABASE_URL,
        "TRAININGS_DATABASE_POOL_MAX": "20",
        "TRAININGS_REDIS_URL": REDIS_URL,
        "TRAININGS_AUTH_URL": AUTH_URL,
        "TRAININGS_SERVICE_TOKEN": SERVICE_TOKEN,
        "TRAININGS_PROMETHEUS_PORT": "0",
        "TRAININGS_LOG_LEVEL": "WARNING",
        "TRAININGS_MEDIA_CACHE_BYTES": str(cache_bytes),
    }
    server = subprocess.Popen([str(Path(sys.executable).parent / "fiufit-trainings")], env=env)
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/trainings/healthcheck/").status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    server.kill()
    raise RuntimeError("the server did not start")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


async def warm(paths: list[str]) -> None:
    """Every path once before measuring: fills the image cache and Postgres' buffers."""
    limits = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=120) as http:

        async def get(path: str) -> None:
            async with limits:
                (await http.get(path)).raise_for_status()

        await asyncio.gather(*(get(path) for path in paths))


async def load(name: str, paths: list[str], seconds: float) -> Result:
    """CONNECTIONS keep-alive connections for ``seconds``, each asking for random paths: with
    wrk when it is installed (it leaves the CPU to the server), else with httpx."""
    await warm(paths)
    if shutil.which("wrk"):
        return load_with_wrk(name, paths, seconds)
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{PORT}", limits=limits, timeout=30
    ) as http:

        async def worker(seed: int, until: float, record: bool) -> None:
            nonlocal errors
            rng = random.Random(seed)
            while (now := time.perf_counter()) < until:
                try:
                    ok = (await http.get(rng.choice(paths))).status_code == 200
                except httpx.HTTPError:
                    ok = False
                if record:
                    latencies.append(time.perf_counter() - now)
                    errors += not ok

        warm_until = time.perf_counter() + min(2.0, seconds / 4)
        await asyncio.gather(*(worker(i, warm_until, False) for i in range(CONNECTIONS)))
        started = time.perf_counter()
        await asyncio.gather(*(worker(i, started + seconds, True) for i in range(CONNECTIONS)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    rate = len(ordered) / elapsed
    return Result(name, rate, statistics.median(ordered) * 1000, p99 * 1000, errors)


WRK_SCRIPT = """
local paths = {%s}
request = function() return wrk.format(nil, paths[math.random(#paths)]) end
"""
WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def load_with_wrk(name: str, paths: list[str], seconds: float) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT % ", ".join(f'"{path}"' for path in paths))
        script.flush()
        command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds:.0f}s", "--timeout", "30s"]
        output = subprocess.run(
            [*command, "--latency", "-s", script.name, f"http://127.0.0.1:{PORT}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def percentile(label: str) -> float:
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        return float(found[1]) * WRK_UNITS[found[2]] if found else float("nan")

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    failed = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = (int(bad[1]) if bad else 0) + (sum(map(int, failed.groups())) if failed else 0)
    return Result(name, float(rate[1]) if rate else 0.0, percentile("50"), percentile("99"), errors)


def pages(query: str, matches: int) -> list[str]:
    return [f"/trainings?{query}&offset={offset}&limit=10" for offset in range(0, matches - 10, 10)]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run")
    args = parser.parse_args()

    print(f"seeding {TRAININGS} trainings into {DATABASE} (and their images into storage)…")
    await fresh_database(POSTGRES, DATABASE, HERE.parent / "migrations")
    started = time.perf_counter()
    media = await seed()
    print(f"  done in {time.perf_counter() - started:.1f} s ({len(media)} images)")
    print("query plans:")
    await explain()

    # Every training of one type and difficulty: about 555 matches, pages at random offsets.
    plain = pages("training_type=Arm&difficulty=Easy", 555)
    with_media = pages("training_type=Chest&difficulty=Easy", 555)
    titles = [f"/trainings?title={word.lower()[:3]}&limit=10" for word in WORDS]
    client = "wrk" if shutil.which("wrk") else "httpx"
    print(
        f"\n{CONNECTIONS} connections ({client}), {args.seconds:.0f} s per run, one server process"
    )
    try:
        server = start_server(cache_bytes=64 * 1024 * 1024)
        try:
            for name, paths in (
                ("type+difficulty, no media", plain),
                ("title prefix, no media", titles),
                ("type+difficulty, media (cache warm)", with_media),
            ):
                print((await load(name, paths, args.seconds)).line())
        finally:
            stop_server(server)
        server = start_server(cache_bytes=0)
        try:
            result = await load("type+difficulty, media (no cache)", with_media, args.seconds)
            print(result.line())
        finally:
            stop_server(server)
    finally:
        await delete_media(media)


if __name__ == "__main__":
    asyncio.run(main())
