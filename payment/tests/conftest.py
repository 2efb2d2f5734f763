"""Tests run the app in process against real Postgres (database ``payment_test``), Redis (db 5)
and anvil (``overlays/infra.sh start`` starts them; ``make test`` at the root does it for you).

Isolation from the local stack on the same anvil: every session uses a fresh owner account
(funded with ``anvil_setBalance``), hence its own freshly deployed contract, and fresh wallets.
"""

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from cryptography.fernet import Fernet
from eth_account import Account
from litestar import Litestar
from litestar.testing import AsyncTestClient

from payment.app import create_app
from payment.settings import Settings

SERVICE_TOKEN = "test-service-token"
ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get(
    "PAYMENT_TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DATABASE_URL = ADMIN_URL.rsplit("/", 1)[0] + "/payment_test"
REDIS_URL = "redis://127.0.0.1:6379/5"
ANVIL_URL = os.environ.get("PAYMENT_TEST_RPC_URL", "http://127.0.0.1:8545")
ENCRYPTION_KEY = Fernet.generate_key().decode()
OWNER = Account.create()

Client = AsyncTestClient[Litestar]


def rpc(method: str, *params: Any, url: str = ANVIL_URL) -> Any:
    response = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    )
    body = response.json()
    assert "error" not in body, body
    return body["result"]


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": DATABASE_URL,
        "redis_url": REDIS_URL,
        "service_token": SERVICE_TOKEN,
        "wallet_encryption_key": ENCRYPTION_KEY,
        "rpc_url": ANVIL_URL,
        "owner_private_key": OWNER.key.hex(),
        "prometheus_port": 0,
        "log_level": "WARNING",
        # Background work must not race the tests. The tracker of the session app (and of
        # replicas) never sweeps within a session: otherwise it steps another instance's rows
        # once they are tracker_grace old, so what a test sees would depend on the clock. Tests
        # of the tracker start an app with their own interval and grace.
        "tracker_interval": 3600,
        # A request answers when its movement is finished, not when a clock runs out: a slow
        # machine must not turn a "confirmed" answer into "submitted".
        "request_wait": 120,
        # The outbox relays publish when the code wakes them after a commit, never at a poll
        # within a session: an event a test sees published was a wake-up's doing.
        "outbox_poll_interval": 3600,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session", autouse=True)
def database() -> Iterator[None]:
    async def recreate() -> None:
        conn = await asyncpg.connect(ADMIN_URL)
        try:
            await conn.execute("DROP DATABASE IF EXISTS payment_test WITH (FORCE)")
            await conn.execute("CREATE DATABASE payment_test")
        finally:
            await conn.close()

    import asyncio

    asyncio.run(recreate())
    dbmate = Path(sys.executable).parent / "dbmate"
    subprocess.run(
        [
            str(dbmate),
            "--url",
            f"{DATABASE_URL}?sslmode=disable",
            "--migrations-dir",
            str(ROOT / "migrations"),
            "--no-dump-schema",
            "up",
        ],
        check=True,
        capture_output=True,
    )
    # A fresh owner for this session: nobody else signs with it, so its nonces are ours.
    rpc("anvil_setBalance", OWNER.address, hex(10**6 * 10**18))
    yield


@pytest.fixture(scope="session")
def app() -> Litestar:
    return create_app(make_settings())


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=app) as client:
        client.headers["X-Service-Token"] = SERVICE_TOKEN
        yield client


@asynccontextmanager
async def running(**overrides: Any) -> AsyncIterator[Client]:
    """Another app instance (a replica, or the service after a restart) on the same database."""
    async with AsyncTestClient(app=create_app(make_settings(**overrides))) as other:
        other.headers["X-Service-Token"] = SERVICE_TOKEN
        yield other


def fresh_owner() -> str:
    """A new funded owner key: an app started with it deploys its own contract."""
    owner = Account.create()
    rpc("anvil_setBalance", owner.address, hex(10**4 * 10**18))
    return str(owner.key.hex())


@pytest.fixture(scope="session")
async def db() -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(DATABASE_URL)
    yield conn
    await conn.close()


@pytest.fixture(autouse=True)
async def clean(database: None) -> AsyncIterator[None]:
    yield
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        await conn.execute("TRUNCATE wallets, ledger, outbox")
    finally:
        await conn.close()
