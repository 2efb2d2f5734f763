"""The Postgres pool and what counts as the database being unreachable."""

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"

# Failures that mean "the database is not there right now" (answered 503), not a bug.
OUTAGES: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.ConnectionDoesNotExistError,
)


async def _keep_session(conn: object) -> None:
    """No session state to reset: this service never SETs, LISTENs, takes advisory locks or
    keeps cursors. asyncpg still rolls back a leftover transaction; skipping its RESET ALL saves
    a round trip on every release."""


async def open_pool(dsn: str, min_size: int, max_size: int) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, command_timeout=10, reset=_keep_session
    )
    return pool


def migrate(database_url: str, migrations_dir: Path) -> None:
    """Applies the dbmate migrations (tests and the benchmark; a cluster runs the Job)."""
    dbmate = shutil.which("dbmate") or str(Path(sys.executable).parent / "dbmate")
    subprocess.run(
        [dbmate, "--url", f"{database_url}?sslmode=disable", "--no-dump-schema",
         "--migrations-dir", str(migrations_dir), "up"],
        check=True,
        capture_output=True,
    )  # fmt: skip


async def fresh_database(server_url: str, name: str, migrations_dir: Path) -> str:
    """Drops and re-creates database `name` (tests, benchmark), migrates it, returns its URL."""
    conn = await asyncpg.connect(f"{server_url}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = f"{server_url}/{name}"
    await asyncio.to_thread(migrate, url, migrations_dir)
    return url
