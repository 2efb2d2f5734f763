"""Transfer benchmark: confirmed transfers per second through the service with 20 concurrent
senders, beside anvil's raw rate of signed, pipelined transfers from 20 senders, and the ratio.

Both sides run against one private anvil (its own port and chain id: the shared node on 8545
and the local stack's contract and nonces are never touched), alternately, `BENCH_ROUNDS`
times each (bench/wrk.py's setting, default 3); the medians and their ratio are printed, so a
neighbour's load on the machine weighs on both alike.

- The service runs as the entry point runs it (bench/wrk.py's `serve`: one uvicorn process),
  on its own database (``payment_bench``) with a fresh owner. A round is `BENCH_TRANSFERS`
  (default 200) ``POST /payment/transfers`` of 0.001 ETH from 20 senders at once, each sending
  its next one when the previous answered; a transfer counts when it answered 201 confirmed
  (its deposit and its payout mined). Latency p50/p99 come from the same requests.
- The raw side is the same number of plain transfers from 20 fresh accounts: eth_account
  signs with nonces assigned locally, each sender sends its next one as soon as the node has
  accepted the previous (no waiting for a receipt), then every receipt is awaited; signing is
  inside the timed window, as it is for the service.

Needs Postgres and anvil's binary (overlays/infra.sh installs both).

    make bench            # or: BENCH_TRANSFERS=400 BENCH_ROUNDS=5 make bench
"""

import asyncio
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the suite's helpers: the database, a private anvil

from bench.wrk import ROUNDS, serve  # noqa: E402
from payment.chain.client import Chain  # noqa: E402
from tests.database import fresh_database  # noqa: E402
from tests.helpers import funded_owner, private_anvil, rpc  # noqa: E402

POSTGRES = os.environ.get("PAYMENT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
TOKEN = "payment-bench-service-token"  # PAYMENT_SERVICE_TOKEN wants 16 characters or more
TRANSFERS = int(os.environ.get("BENCH_TRANSFERS", "200"))
SENDERS = 20
GOAL = 0.3
AMOUNT_WEI = 10**15  # 0.001 ETH, both sides


@dataclass(frozen=True)
class Round:
    per_second: float
    latencies: list[float]
    failures: int


def settings_env(node: str, owner: LocalAccount, database_url: str) -> dict[str, str]:
    return {
        "PAYMENT_DATABASE_URL": database_url,
        "PAYMENT_REDIS_URL": "redis://127.0.0.1:6379/5",
        "PAYMENT_SERVICE_TOKEN": TOKEN,
        "PAYMENT_WALLET_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "PAYMENT_RPC_URL": node,
        "PAYMENT_OWNER_PRIVATE_KEY": owner.key.hex(),
        "PAYMENT_INITIAL_POOL": "1000",
        "PAYMENT_PROMETHEUS_PORT": "0",
        "PAYMENT_LOG_LEVEL": "WARNING",
        "PAYMENT_REQUEST_WAIT": "120",
    }


async def fund_senders(http: httpx.AsyncClient, ids: list[int], receiver: int) -> None:
    for user_id in [receiver, *ids]:
        (await http.post("/payment/wallets", json={"user_id": user_id})).raise_for_status()
    for user_id in ids:
        top = await http.post(
            "/payment/top-ups",
            json={"user_id": user_id, "amount": "5", "actor_id": 1},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        top.raise_for_status()


async def service_round(http: httpx.AsyncClient, ids: list[int], receiver: int) -> Round:
    per_sender = max(1, TRANSFERS // len(ids))
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
                if os.environ.get("BENCH_DEBUG"):
                    print(response.status_code, response.text[:300])

    started = time.perf_counter()
    await asyncio.gather(*(sender(user_id) for user_id in ids))
    elapsed = time.perf_counter() - started
    return Round((len(latencies) - failures) / elapsed, latencies, failures)


async def raw_round(w3: AsyncWeb3, node: str) -> Round:  # type: ignore[type-arg]
    senders: list[LocalAccount] = [Account.create() for _ in range(SENDERS)]
    for account in senders:
        rpc("anvil_setBalance", account.address, hex(10**20), url=node)
    receiver = Account.create().address
    chain_id = await w3.eth.chain_id
    base_fee = int((await w3.eth.get_block("latest"))["baseFeePerGas"])
    tip = 10**9
    per_sender = max(1, TRANSFERS // SENDERS)

    async def sender(account: LocalAccount) -> list[bytes]:
        hashes = []
        for nonce in range(per_sender):
            tx = {
                "to": receiver,
                "value": AMOUNT_WEI,
                "gas": 21_000,
                "maxFeePerGas": 2 * base_fee + tip,
                "maxPriorityFeePerGas": tip,
                "nonce": nonce,
                "chainId": chain_id,
                "type": 2,
            }
            signed = account.sign_transaction(tx)
            hashes.append(await w3.eth.send_raw_transaction(signed.raw_transaction))
        return hashes

    started = time.perf_counter()
    sent = await asyncio.gather(*(sender(account) for account in senders))
    failures = 0
    for tx_hash in (h for hashes in sent for h in hashes):
        receipt = await w3.eth.wait_for_transaction_receipt(tx_hash, 120, 0.01)  # type: ignore[arg-type]
        failures += receipt["status"] != 1
    elapsed = time.perf_counter() - started
    done = per_sender * SENDERS - failures
    return Round(done / elapsed, [], failures)


def describe(name: str, rounds: list[Round]) -> float:
    rate = statistics.median(r.per_second for r in rounds)
    line = f"  {name:<10} {rate:7.1f} transfers/s"
    latencies = sorted(x for r in rounds for x in r.latencies)
    if latencies:
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        line += f"  p50 {statistics.median(latencies) * 1000:6.0f} ms  p99 {p99 * 1000:6.0f} ms"
    print(f"{line}  failures {sum(r.failures for r in rounds)}", flush=True)
    return rate


def raw_client(node: str) -> AsyncWeb3:  # type: ignore[type-arg]
    """web3 over the service's own transport (payment.chain.client: one session that keeps
    its connections to the node, no per-call lock), so that the reference pays no more per
    call than the service does."""
    return Chain.connect(node, 120, Decimal(1)).w3


async def measure(base: str, node: str) -> None:
    w3 = raw_client(node)
    ids = list(range(10_001, 10_001 + SENDERS))
    async with httpx.AsyncClient(
        base_url=base, headers={"X-Service-Token": TOKEN}, timeout=120
    ) as http:
        await fund_senders(http, ids, receiver=10_000)
        ours: list[Round] = []
        theirs: list[Round] = []
        for _ in range(ROUNDS):
            ours.append(await service_round(http, ids, receiver=10_000))
            theirs.append(await raw_round(w3, node))
    print(
        f"transfers, {SENDERS} concurrent senders, {TRANSFERS} a round, "
        f"median of {ROUNDS} alternating rounds"
    )
    service = describe("service", ours)
    raw = describe("raw anvil", theirs)
    ratio = service / raw if raw else 0.0
    print(f"  ratio {ratio:.2f}  (goal ≥ {GOAL:.2f})", flush=True)
    await w3.provider.disconnect()


def main() -> None:
    with private_anvil(chain_id=31_338) as node:
        owner = funded_owner(node)
        database = asyncio.run(fresh_database(POSTGRES, "payment_bench", ROOT / "migrations"))
        env = settings_env(node, owner, database)
        with serve("payment.app:create_app", "/payment/readiness/", env, "payment") as base:
            asyncio.run(measure(base, node))


if __name__ == "__main__":
    main()
