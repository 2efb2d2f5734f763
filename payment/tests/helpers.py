"""What the tests share besides fixtures: the components' addresses, settings, another app
instance or the real service process, builders, the chain's and the database's helpers, fault
injection, and waits (`eventually`) (`from tests.helpers import ...`; fixtures live in
conftest.py).

Isolation from the local stack on the same anvil: every session uses a fresh owner account
(`OWNER`, funded with `anvil_setBalance`), hence its own freshly deployed contract, and fresh
wallets.
"""

import asyncio
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from cryptography.fernet import Fernet
from eth_account import Account
from eth_account.signers.local import LocalAccount
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from web3 import Web3

from payment.app import create_app
from payment.chain.client import ARTIFACT
from payment.db import ACCOUNT_LOCK
from payment.services import Services
from payment.settings import Settings
from tests.fuzz import free_port

Client = AsyncTestClient[Litestar]  # an httpx.AsyncClient, like the helpers take

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"
ADMIN_URL = os.environ.get(
    "PAYMENT_TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
POSTGRES = ADMIN_URL.rsplit("/", 1)[0]  # the server, without a database
DATABASE_URL = f"{POSTGRES}/payment_test"
REDIS_URL = "redis://127.0.0.1:6379/5"
STREAM = "fiufit:events"
ANVIL_URL = os.environ.get("PAYMENT_TEST_RPC_URL", "http://127.0.0.1:8545")
ANVIL = ROOT.parent / "overlays/node_modules/.bin/anvil"  # what overlays/infra.sh installs
SERVICE_TOKEN = "test-service-token"
ADMIN = 1  # the admin every top-up of the suite names as its actor (the audit's actor_id)
ENCRYPTION_KEY = Fernet.generate_key().decode()
OWNER = Account.create()  # the session's owner (the `database` fixture funds it)
# The shared client carries the service credential; this overrides it with nothing.
NO_TOKEN = {"X-Service-Token": ""}
# How long a wait for a state may take before the test fails: it only turns a hang into a
# failure, as every wait ends as soon as its state is reached.
DEADLINE = 120.0
CONTRACT = Web3().eth.contract(abi=ARTIFACT["abi"])  # only encodes calls
# receive() (any call) counts 65 536 down to zero, 26 gas a turn:
#   PUSH3 0x010000; loop: JUMPDEST PUSH1 1 SWAP1 SUB DUP1 PUSH1 loop JUMPI; STOP
BURNER_RUNTIME = "620100005b6001900380600457" + "00"

_ids = itertools.count(1000)


def rpc(method: str, *params: Any, url: str = ANVIL_URL) -> Any:
    response = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    )
    body = response.json()
    assert "error" not in body, body
    return body["result"]


def funded_owner(url: str = ANVIL_URL) -> LocalAccount:
    """A new owner with 10 000 ETH on the node at ``url``: an app started with its key
    deploys its own contract."""
    owner: LocalAccount = Account.create()
    rpc("anvil_setBalance", owner.address, hex(10**4 * 10**18), url=url)
    return owner


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


@asynccontextmanager
async def running(**overrides: Any) -> AsyncIterator[Client]:
    """Another app instance (a replica, or the service after a restart) on the same database."""
    async with AsyncTestClient(app=create_app(make_settings(**overrides))) as other:
        other.headers["X-Service-Token"] = SERVICE_TOKEN
        yield other


def services_of(app: Litestar) -> Services:
    """The services bag a running app's lifespan opened."""
    services: Services = app.state.services
    return services


@contextmanager
def database_refused(client: Client) -> Iterator[None]:
    """While the block runs, the app's requests ask a database that refuses connections (a
    pool made on the app's own event loop, connecting lazily); then the real bag is back."""

    async def refusing_pool() -> asyncpg.Pool:
        return await asyncpg.create_pool("postgresql://postgres@127.0.0.1:1/payment", min_size=0)

    state, portal = client.app.state, client.blocking_portal
    real = services_of(client.app)
    broken = portal.call(refusing_pool)
    state.services = replace(real, pool=broken)
    try:
        yield
    finally:
        state.services = real
        portal.call(broken.close)


def new_user_id() -> int:
    return next(_ids)


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


async def wallet(client: httpx.AsyncClient, user_id: int | None = None) -> dict[str, Any]:
    response = await client.post("/payment/wallets", json={"user_id": user_id or new_user_id()})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def balance(client: httpx.AsyncClient, user_id: int) -> Decimal:
    response = await client.get(f"/payment/wallets/{user_id}/balance")
    assert response.status_code == 200, response.text
    return Decimal(response.json()["balance"])


async def top_up(client: httpx.AsyncClient, user_id: int, amount: str) -> dict[str, Any]:
    response = await client.post(
        "/payment/top-ups",
        json={"user_id": user_id, "amount": amount, "actor_id": ADMIN},
        headers=key(),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "confirmed", body
    return body


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Polls ``check`` until it holds: tests wait for a state, never for a fixed time."""
    deadline = time.monotonic() + DEADLINE
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {DEADLINE:.0f} s for {what}")
        await asyncio.sleep(0.02)


async def published(redis: Redis, stream: str = STREAM) -> list[dict[str, Any]]:
    """The events on the stream, oldest first, as the metrics consumer reads them."""
    return [json.loads(fields[b"event"]) for _, fields in await redis.xrange(stream)]


async def contract_of(db: asyncpg.Connection, owner: str, chain_id: int) -> str:
    """The address of the contract the owner deployed on that chain (kept in the database)."""
    return str(
        await db.fetchval(
            "SELECT address FROM deployments WHERE chain_id = $1 AND owner = $2", chain_id, owner
        )
    )


async def lock_account(conn: asyncpg.Connection, address: str) -> None:
    """Takes the account's lock in this session, as the engine does to sign for it: the
    account's movements wait at that point until `unlock_account` (or the session's end)."""
    await conn.execute("SELECT pg_advisory_lock($1, hashtext($2))", ACCOUNT_LOCK, address)


async def unlock_account(conn: asyncpg.Connection, address: str) -> None:
    await conn.execute("SELECT pg_advisory_unlock($1, hashtext($2))", ACCOUNT_LOCK, address)


def sent_payments(contract: str, sender: str, url: str = ANVIL_URL) -> int:
    """What the contract at ``contract`` counts as deposited by ``sender``."""
    data = CONTRACT.encode_abi("sentPayments", args=[sender])
    return int(rpc("eth_call", {"to": contract, "data": data}, "latest", url=url), 16)


def in_mempool(node: str, tx_hash: str | None) -> bool:
    tx = rpc("eth_getTransactionByHash", tx_hash, url=node) if tx_hash else None
    return tx is not None and tx["blockNumber"] is None


class Crash(Exception):
    """Stands for the process dying at this point."""


def inject(app: Litestar, point: str) -> None:
    """The app's engine "dies" before the ``deposit`` or ``payout`` broadcast, or (``receipt``)
    after the broadcast, before any receipt was seen."""
    engine = services_of(app).engine
    if point in ("deposit", "payout"):

        def before_broadcast(step: str) -> None:
            if step == point:
                raise Crash(step)

        engine.before_broadcast = before_broadcast
    else:

        async def receipt(*_: Any) -> None:
            raise Crash("receipt")

        engine.chain.receipt = receipt  # type: ignore[method-assign]


@contextmanager
def private_anvil(*options: str, chain_id: int) -> Iterator[str]:
    """An anvil of our own, on a port it picks and names in its banner (no port race);
    ``options`` are more anvil flags (``--block-time 1``). Its own chain id keeps its rows from
    every app of the session on the shared anvil."""
    command = [str(ANVIL), "--host", "127.0.0.1", "--port", "0", "--chain-id", str(chain_id)]
    command += options
    with (
        open(os.devnull, "wb") as sink,
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as process,
    ):
        assert process.stdout is not None
        drain: threading.Thread | None = None
        try:
            for line in process.stdout:  # blocks until the banner's line, or EOF if it died
                if found := re.search(rb"Listening on 127\.0\.0\.1:(\d+)", line):
                    break
            else:
                raise AssertionError(f"anvil exited during start-up ({process.wait()})")
            # It logs every call from now on: drain its pipe so that it never blocks on a write.
            drain = threading.Thread(
                target=shutil.copyfileobj, args=(process.stdout, sink), daemon=True
            )
            drain.start()
            yield f"http://127.0.0.1:{found[1].decode()}"
        finally:
            process.terminate()
            process.wait(30)
            if drain is not None:  # until the pipe's end, before the pipe and the sink close
                drain.join(30)


@contextmanager
def service(
    node: str, owner: LocalAccount, **settings: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The real service process against the node; yields its base URL and process.
    ``settings`` override its environment (``PAYMENT_TRACKER_INTERVAL="3600"``)."""
    port = free_port()
    env = {
        **os.environ,
        "PAYMENT_PORT": str(port),
        "PAYMENT_HOST": "127.0.0.1",
        "PAYMENT_DATABASE_URL": DATABASE_URL,
        "PAYMENT_REDIS_URL": REDIS_URL,
        "PAYMENT_SERVICE_TOKEN": SERVICE_TOKEN,
        "PAYMENT_WALLET_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "PAYMENT_RPC_URL": node,
        "PAYMENT_OWNER_PRIVATE_KEY": owner.key.hex(),
        "PAYMENT_PROMETHEUS_PORT": "0",
        "PAYMENT_LOG_LEVEL": "WARNING",
        "PAYMENT_TRACKER_INTERVAL": "0.2",
        "PAYMENT_TRACKER_GRACE": "0",
        # Past this a request answers early with its row still "submitted": here only the
        # confirmation or the kill may end a request, however slow the machine.
        "PAYMENT_REQUEST_WAIT": str(DEADLINE),
        **settings,
    }
    env.pop("PAYMENT_CONTRACT_ADDRESS", None)
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "fiufit-payment")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + DEADLINE
        while True:  # until it answers its healthcheck
            try:
                if httpx.get(f"{base}/payment/healthcheck/").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "the service exited during start-up"
            assert time.monotonic() < deadline, "the service never answered"
            time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(30)


@asynccontextmanager
async def client_of(base: str) -> AsyncIterator[httpx.AsyncClient]:
    # No timeout: a request ends when the service answers or dies, never by our clock.
    headers = {"X-Service-Token": SERVICE_TOKEN}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=None) as http:
        yield http
