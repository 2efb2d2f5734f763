"""Transfer benchmark against anvil: confirmed transfers per second and the p50/p99 latency of
one ``POST /payment/transfers`` (it answers once the row is confirmed), with 1 and 20 senders.

The service runs in process under uvicorn on a free port, on its own database
(``payment_bench``), with a fresh owner funded through ``anvil_setBalance`` (so it never
disturbs the local stack's contract or nonces). Needs Postgres and anvil (overlays/infra.sh).

    make bench            # or: BENCH_TRANSFERS=200 make bench
"""

import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx
import uvicorn
from cryptography.fernet import Fernet
from eth_account import Account
from eth_account.signers.local import LocalAccount

from payment.app import create_app
from payment.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the suite's tests/database.py makes the database

from tests.database import fresh_database  # noqa: E402
from tests.fuzz import free_port  # noqa: E402

ANVIL = os.environ.get("PAYMENT_BENCH_RPC_URL", "http://127.0.0.1:8545")
ADMIN_DB = os.environ.get(
    "PAYMENT_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DB = ADMIN_DB.rsplit("/", 1)[0] + "/payment_bench"
TOKEN = "payment-bench-service-token"  # PAYMENT_SERVICE_TOKEN wants 16 characters or more
TRANSFERS = int(os.environ.get("BENCH_TRANSFERS", "100"))


def prepare(owner: str) -> None:
    """A fresh bench database, migrated, and a funded owner."""
    asyncio.run(fresh_database(ADMIN_DB.rsplit("/", 1)[0], "payment_bench", ROOT / "migrations"))
    funding = {"method": "anvil_setBalance", "params": [owner, hex(10**6 * 10**18)]}
    httpx.post(ANVIL, json={"jsonrpc": "2.0", "id": 1, **funding}).raise_for_status()


async def scenario(http: httpx.AsyncClient, senders: int, receiver: int) -> None:
    ids = [10_000 * senders + i for i in range(senders)]
    for user_id in ids:
        await http.post("/payment/wallets", json={"user_id": user_id})
        top = await http.post(
            "/payment/top-ups",
            json={"user_id": user_id, "amount": "5"},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        top.raise_for_status()
    per_sender = max(1, TRANSFERS // senders)
    latencies: list[float] = []
    failures = 0

    async def sender(user_id: int) -> None:
        nonlocal failures
        for _ in range(per_sender):
            started = time.perf_counter()
            response = await http.post(
                "/payment/transfers",
                json={"sender_id": user_id, "receiver_id": receiver, "amount": "0.001"},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            latencies.append(time.perf_counter() - started)
            if response.status_code != 201 or response.json()["status"] != "confirmed":
                failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(sender(user_id) for user_id in ids))
    elapsed = time.perf_counter() - started
    done = len(latencies) - failures
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"{senders:>2} concurrent senders: {done} confirmed transfers in {elapsed:.1f} s = "
        f"{done / elapsed:.1f} transfers/s; latency p50 "
        f"{statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; "
        f"failures {failures}"
    )


async def main(owner: LocalAccount) -> None:
    settings = Settings(
        database_url=DB,
        redis_url="redis://127.0.0.1:6379/5",
        service_token=TOKEN,
        wallet_encryption_key=Fernet.generate_key().decode(),
        rpc_url=ANVIL,
        owner_private_key=owner.key.hex(),
        initial_pool=1000,
        prometheus_port=0,
        log_level="WARNING",
        database_pool_max=60,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None)
    )
    serving = asyncio.create_task(server.serve())
    for _ in range(400):
        if server.started:
            break
        await asyncio.sleep(0.05)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"X-Service-Token": TOKEN}, timeout=60
    ) as http:
        await http.post("/payment/wallets", json={"user_id": 1})
        for senders in (1, 20):
            await scenario(http, senders, receiver=1)
    server.should_exit = True
    await serving


if __name__ == "__main__":
    bench_owner: LocalAccount = Account.create()
    prepare(bench_owner.address)
    asyncio.run(main(bench_owner))
