"""Movements list benchmark: every shape of `GET /payment/transactions` the clients send (the
back office's pages, deep pages, by wallet address and by minimum amount; a user's own
movements; a kind) at 100,000 movements against the same at 1,000, and against a bare
Litestar app running the same page SQL (bench/reference_movements.py), all with wrk
(bench/wrk.py: alternating runs, medians, ratios).

Three servers run at once: the service on a database of 1,000 movements, the service on one of
100,000, and the reference on the latter. Both databases hold the same 60 movements of user 7
(the party the filtered pages ask for) among the others, so a page's answer does not change
with the data's size, only the ledger around it does. The service runs on its in-process
eth-tester chain: listing never calls the node.

    make bench            # or: BENCH_SECONDS=3 BENCH_ROUNDS=3 make bench
"""

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the suite's tests/database.py makes the databases

from bench.wrk import compare, serve  # noqa: E402
from tests.database import fresh_database  # noqa: E402

POSTGRES = os.environ.get("PAYMENT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
TOKEN = "payment-bench-service-token"
SIZES = (1_000, 100_000)
PARTY = 7
PARTY_ADDRESS = "0x" + f"{PARTY:040x}"
PARTY_MOVEMENTS = 60


def address(user: str) -> str:
    return f"'0x' || lpad(to_hex({user}), 40, '0')"


async def fill(url: str, movements: int) -> None:
    """`movements` confirmed rows: the party's 60 first, then the others' (users 8 to 999),
    transfers with a top-up every tenth row, amounts of 0.001 to 1 ETH."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            f"""
            INSERT INTO wallets (user_id, address, sealed_key)
            SELECT u, {address("u")}, '\\x00' FROM generate_series(1, 999) AS u
            """
        )
        await conn.execute(
            f"""
            INSERT INTO ledger (kind, idempotency_key, request_hash, sender_id, receiver_id,
                                sender_address, receiver_address, amount_wei, status, step)
            SELECT CASE WHEN i % 10 = 0 THEN 'top_up' ELSE 'transfer' END, 'bench-' || i, '-',
                   CASE WHEN i % 10 = 0 THEN NULL ELSE s END, r,
                   CASE WHEN i % 10 = 0 THEN {address("0")} ELSE {address("s")} END,
                   {address("r")}, (i % 1000 + 1) * 10^15, 'confirmed', 'done'
            FROM generate_series(1, $1) AS i,
                 LATERAL (SELECT CASE WHEN i <= $2 AND i % 2 = 1 THEN {PARTY}
                                      ELSE 8 + i % 992 END AS s,
                                 CASE WHEN i <= $2 AND i % 2 = 0 THEN {PARTY}
                                      ELSE 8 + (i * 7 + 3) % 992 END AS r) AS parties
            """,
            movements,
            PARTY_MOVEMENTS,
        )
        await conn.execute("VACUUM ANALYZE ledger")  # index-only walks need the visibility map
        # The seed's dirty pages written now, not by a checkpoint during the first rounds.
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


def service_env(url: str) -> dict[str, str]:
    return {
        "PAYMENT_DATABASE_URL": url,
        "PAYMENT_REDIS_URL": "redis://127.0.0.1:6379/5",
        "PAYMENT_SERVICE_TOKEN": TOKEN,
        "PAYMENT_WALLET_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "PAYMENT_PROMETHEUS_PORT": "0",
        "PAYMENT_LOG_LEVEL": "WARNING",
        "PAYMENT_TRACKER_INTERVAL": "3600",
        "PAYMENT_OUTBOX_RELAY_ENABLED": "false",
    }


# (name, the service's query, the reference's query for the same page)
SHAPES = [
    ("first page", "offset=0&limit=10", "offset=0&limit=10"),
    ("page 51", "offset=500&limit=10", "offset=500&limit=10"),
    ("by address", f"address={PARTY_ADDRESS}", f"address={PARTY_ADDRESS}"),
    ("by address, deep", f"address={PARTY_ADDRESS}&offset=50",
     f"address={PARTY_ADDRESS}&offset=50"),
    ("a user's", f"user_id={PARTY}", f"user_id={PARTY}"),
    ("a kind", "kind=top_up", "kind=top_up"),
    ("minimum amount", "min_amount=0.5", f"min_wei={5 * 10**17}"),
    ("address and minimum", f"address={PARTY_ADDRESS}&min_amount=0.5",
     f"address={PARTY_ADDRESS}&min_wei={5 * 10**17}"),
]  # fmt: skip


def main() -> None:
    for name in [name for name in os.environ if name.startswith("PAYMENT_")]:
        del os.environ[name]  # a sourced local.env must not point the bench at the stack's node
    urls = {}
    for size in SIZES:
        name = f"payment_bench_list_{size}"
        urls[size] = asyncio.run(fresh_database(POSTGRES, name, ROOT / "migrations"))
        asyncio.run(fill(urls[size], size))
    small, large = SIZES
    env = service_env(urls[large])  # PAYMENT_RPC_URL unset: the in-process chain
    small_env = {**env, "PAYMENT_DATABASE_URL": urls[small]}
    headers = {"X-Service-Token": TOKEN}
    path = "/payment/transactions?"
    with (
        serve("payment.app:create_app", "/payment/readiness/", small_env, "payment-1k") as few,
        serve("payment.app:create_app", "/payment/readiness/", env, "payment-100k") as many,
        serve("bench.reference_movements:create_app", "/ready", env, "reference") as bare,
    ):
        summary = []
        for shape, query, reference in SHAPES:
            flat = compare(
                f"{shape}: {large:,} movements against {small:,}",
                (many, [path + query]),
                (few, [path + query]),
                headers=headers,
                goal=1 / 1.5,
            )
            ceiling = compare(
                f"{shape}: the service against bare Litestar with the same SQL ({large:,})",
                (many, [path + query]),
                (bare, [path + reference]),
                headers=headers,
                goal=0.5,
            )
            summary.append((shape, flat, ceiling))
    print(f"\nmovements list, ratios ({large:,} / {small:,} goal ≥ 0.67; / bare goal ≥ 0.50)")
    for shape, flat, ceiling in summary:
        print(f"  {shape:<22} {large:,} / {small:,}: {flat:4.2f}   / bare: {ceiling:4.2f}")


if __name__ == "__main__":
    main()
