"""A real crash: the service process is SIGKILLed in the middle of a burst of transfers, started
again, and every request retried with its key. Each key executes exactly once.

"In the middle" is a state, not a moment. The burst runs on a private anvil whose mining the
test switches off, and the test holds two senders' account locks, so that at the kill each
sender's rows are at a known point of their life:

- sender A: deposit mined, the owner's payout broadcast and waiting in the mempool;
- sender B: deposit broadcast and waiting in the mempool;
- sender C: nothing signed yet (its requests wait for the account lock).

The private anvil has its own chain id, so no other app of the session (they work on the shared
anvil, 8545) ever adopts these rows, and the shared anvil's mining is left alone.
"""

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from payment.db import ACCOUNT_LOCK
from tests.conftest import DATABASE_URL, ENCRYPTION_KEY, REDIS_URL, ROOT, SERVICE_TOKEN, rpc
from tests.helpers import balance, top_up, wallet
from tests.test_crash import sent_payments

ANVIL = ROOT.parent / "overlays/node_modules/.bin/anvil"  # what overlays/infra.sh installs
CHAIN_ID = 31338  # not the shared anvil's 31337
# Only turns a hang into a failure: every wait below ends as soon as its state is reached.
DEADLINE = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def private_anvil(*options: str, chain_id: int = CHAIN_ID) -> Iterator[str]:
    """An anvil of our own, on a port it picks and names in its banner (no port race);
    ``options`` are more anvil flags (``--block-time 1``)."""
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


async def until(what: str, holds: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not await holds():
        assert time.monotonic() < deadline, f"never reached: {what}"
        await asyncio.sleep(0.05)


LOCK = "SELECT pg_advisory_lock($1, hashtext($2))"
UNLOCK = "SELECT pg_advisory_unlock($1, hashtext($2))"


def in_mempool(node: str, tx_hash: str | None) -> bool:
    tx = rpc("eth_getTransactionByHash", tx_hash, url=node) if tx_hash else None
    return tx is not None and tx["blockNumber"] is None


async def has(rows: Awaitable[list[Any]], count: int) -> bool:
    return len(await rows) == count


async def send(
    http: httpx.AsyncClient, key: str, s: dict[str, Any], r: dict[str, Any], amount: str
) -> tuple[int, Any]:
    body = {"sender_id": s["user_id"], "receiver_id": r["user_id"], "amount": amount}
    response = await http.post("/payment/transfers", json=body, headers={"Idempotency-Key": key})
    return response.status_code, response.json()


@pytest.fixture
async def locks() -> AsyncIterator[asyncpg.Connection]:
    """A database session of the test's own, to hold account locks (released with it)."""
    conn = await asyncpg.connect(DATABASE_URL)
    yield conn
    await conn.close()


async def test_sigkill_mid_burst_then_retries_execute_each_key_once(
    db: asyncpg.Connection, locks: asyncpg.Connection
) -> None:
    owner = Account.create()
    with private_anvil() as node:
        rpc("anvil_setBalance", owner.address, hex(10**4 * 10**18), url=node)
        with service(node, owner) as (base, doomed):
            async with client_of(base) as http:
                senders = [await wallet(http) for _ in range(3)]
                receivers = [await wallet(http) for _ in range(2)]
                for sender in senders:
                    await top_up(http, sender["user_id"], "1")
                a, b, c = (sender["address"] for sender in senders)
                amounts = ["0.01", "0.02", "0.03", "0.04", "0.05"]
                plan = [  # four transfers from each sender, to two receivers
                    (
                        f"kill-{i}-{os.urandom(4).hex()}",
                        senders[i % 3],
                        receivers[i % 2],
                        amounts[i % 5],
                    )
                    for i in range(12)
                ]
                sender_of = {key: s["address"] for key, s, _, _ in plan}

                async def rows(sender: str) -> list[asyncpg.Record]:
                    found = await db.fetch(
                        "SELECT idempotency_key, status, step, deposit_tx_hash, payout_tx_hash "
                        "FROM ledger WHERE idempotency_key = ANY($1::text[])",
                        list(sender_of),
                    )
                    return [row for row in found if sender_of[row["idempotency_key"]] == sender]

                async def at(sender: str, step: str, column: str) -> bool:
                    """All four rows of the sender are at ``step``, the transaction in their
                    ``column`` broadcast (the node knows it) and not mined."""
                    mine = await rows(sender)
                    return len(mine) == 4 and all(
                        row["step"] == step and in_mempool(node, row[column]) for row in mine
                    )

                for held in (b, c):
                    await locks.execute(LOCK, ACCOUNT_LOCK, held)
                rpc("evm_setAutomine", False, url=node)  # from here on, a block comes when we say
                burst = [asyncio.create_task(send(http, *step)) for step in plan]
                await until("A deposited", lambda: at(a, "deposit_sent", "deposit_tx_hash"))
                rpc("evm_mine", url=node)  # only A's deposits are waiting
                await until("A paid out", lambda: at(a, "payout_sent", "payout_tx_hash"))
                await locks.execute(UNLOCK, ACCOUNT_LOCK, b)
                await until("B deposited", lambda: at(b, "deposit_sent", "deposit_tx_hash"))
                await until("C's rows recorded", lambda: has(rows(c), 4))
                assert await at(a, "payout_sent", "payout_tx_hash")  # nothing was mined since
                unsigned = [(r["status"], r["step"], r["deposit_tx_hash"]) for r in await rows(c)]
                assert unsigned == [("pending", "deposit", None)] * 4
                doomed.send_signal(signal.SIGKILL)
                outcomes = await asyncio.gather(*burst, return_exceptions=True)
        # No row was confirmed, so no request had its answer: the kill cut every one off.
        assert all(isinstance(o, httpx.TransportError) for o in outcomes), outcomes

        await locks.execute(UNLOCK, ACCOUNT_LOCK, c)
        rpc("evm_setAutomine", True, url=node)  # this mines what the dead process left waiting
        with service(node, owner) as (base, _):
            async with client_of(base) as http:
                retried = await asyncio.gather(*(send(http, *step) for step in plan))
                # Every key got its row before the kill: each retry replays it, to confirmation.
                assert [code for code, _ in retried] == [200] * len(plan), retried
                assert {entry["status"] for _, entry in retried} == {"confirmed"}
                page = await http.get("/payment/transactions", params={"kind": "transfer"})
                assert page.json()["total"] == len(plan)  # one row per key
                for receiver in receivers:
                    # Each payout landed once: the gas grant plus what was sent to it, no more.
                    got = sum(Decimal(amount) for _, _, r, amount in plan if r == receiver)
                    assert await balance(http, receiver["user_id"]) == Decimal("0.001") + got

        contract = await db.fetchval(
            "SELECT address FROM deployments WHERE chain_id = $1 AND owner = $2",
            CHAIN_ID,
            owner.address,
        )
        for sender in senders:
            address = sender["address"]
            sent = sum(Decimal(amount) for _, s, _, amount in plan if s == sender)
            # The contract counted each deposit once, and the wallet signed nothing else.
            assert sent_payments(contract, address, url=node) == int(sent * 10**18)
            assert int(rpc("eth_getTransactionCount", address, "latest", url=node), 16) == 4
