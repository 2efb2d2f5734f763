"""A real crash: the service process is SIGKILLed in the middle of a burst of transfers, started
again, and every request retried with its key. Each key executes exactly once."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import asyncpg
import httpx

from tests.conftest import ANVIL_URL, DATABASE_URL, ENCRYPTION_KEY, OWNER, REDIS_URL, SERVICE_TOKEN
from tests.helpers import Client, balance, top_up, wallet
from tests.test_crash import sent_payments


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def service(port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "PAYMENT_PORT": str(port),
        "PAYMENT_HOST": "127.0.0.1",
        "PAYMENT_DATABASE_URL": DATABASE_URL,
        "PAYMENT_REDIS_URL": REDIS_URL,
        "PAYMENT_SERVICE_TOKEN": SERVICE_TOKEN,
        "PAYMENT_WALLET_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "PAYMENT_RPC_URL": ANVIL_URL,
        "PAYMENT_OWNER_PRIVATE_KEY": OWNER.key.hex(),
        "PAYMENT_PROMETHEUS_PORT": "0",
        "PAYMENT_LOG_LEVEL": "WARNING",
        "PAYMENT_TRACKER_INTERVAL": "0.2",
        "PAYMENT_TRACKER_GRACE": "0",
    }
    env.pop("PAYMENT_CONTRACT_ADDRESS", None)
    process = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "fiufit-payment")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/payment/healthcheck/").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                raise AssertionError("the service exited during start-up")
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(30)


async def test_sigkill_mid_burst_then_retries_execute_each_key_once(
    client: Client, db: asyncpg.Connection
) -> None:
    senders = [await wallet(client) for _ in range(3)]
    receivers = [await wallet(client) for _ in range(2)]
    for sender in senders:
        await top_up(client, sender["user_id"], "1")
    plan = [
        (f"kill-{i}-{os.urandom(4).hex()}", senders[i % 3], receivers[i % 2], f"0.0{i % 5 + 1}")
        for i in range(12)
    ]

    async def send(http: httpx.AsyncClient, key: str, s: dict, r: dict, amount: str) -> int:
        body = {"sender_id": s["user_id"], "receiver_id": r["user_id"], "amount": amount}
        response = await http.post(
            "/payment/transfers",
            json=body,
            headers={"Idempotency-Key": key, "X-Service-Token": SERVICE_TOKEN},
        )
        return response.status_code

    port = free_port()
    with service(port) as doomed:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            burst = [asyncio.create_task(send(http, *step)) for step in plan]
            # Kill once some transfer has a transaction out and others are still going.
            for _ in range(500):
                if await db.fetchval(
                    "SELECT count(*) FROM ledger WHERE kind = 'transfer' AND status = 'submitted'"
                ):
                    break
                await asyncio.sleep(0.01)
            doomed.send_signal(signal.SIGKILL)
            outcomes = await asyncio.gather(*burst, return_exceptions=True)
    assert any(isinstance(o, Exception) for o in outcomes), "the kill came too late to matter"
    unfinished = await db.fetchval(
        "SELECT count(*) FROM ledger WHERE kind = 'transfer' AND status IN ('pending', 'submitted')"
    )
    assert unfinished > 0

    with service(port):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            retried = await asyncio.gather(*(send(http, *step) for step in plan))
    assert set(retried) <= {200, 201}, retried
    received: Counter[int] = Counter()
    deposited: Counter[str] = Counter()
    for _, s, r, amount in plan:
        received[r["user_id"]] += int(Decimal(amount) * 10**18)
        deposited[s["address"]] += int(Decimal(amount) * 10**18)
    page = await client.get("/payment/transactions", params={"kind": "transfer", "limit": 100})
    assert page.json()["total"] == len(plan)  # one row per key
    assert {e["status"] for e in page.json()["items"]} == {"confirmed"}
    chain = client.app.state.chain
    for sender in senders:
        assert sent_payments(chain, sender["address"]) == deposited[sender["address"]]
    for receiver in receivers:
        expected = Decimal("0.001") + Decimal(received[receiver["user_id"]]) / 10**18
        assert await balance(client, receiver["user_id"]) == expected
