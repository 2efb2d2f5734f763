"""The pure functions of the service: no database, no chain, no app (amounts and the key box
are in test_amounts.py)."""

import asyncio
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from eth_account import Account
from eth_utils.address import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st
from litestar import Litestar, get
from litestar.exceptions import ClientException
from litestar.testing import AsyncTestClient

from payment.amounts import AmountError
from payment.chain.client import Chain, Fees, _revert_reason, sign_dynamic_fee
from payment.db import OUTAGES, UNSTORABLE
from payment.errors import exception_handlers
from payment.inputs import (
    ID_MAX,
    ID_NUMERAL,
    MIN_AMOUNT,
    POSITIVE_AMOUNT,
    integer_id,
    nesting,
    numeral_up_to,
    plain_amount,
    wire_amount,
)
from payment.ledger.batches import Batches
from payment.ledger.models import Entry
from payment.ledger.repository import Filters, NewEntry, Row, _where
from payment.ledger.routes import idempotency_key, respond
from payment.ledger.service import (
    Outcome,
    amount_wei,
    check_withdrawal,
    checksum_address,
    filters,
    request_hash,
)
from payment.wallets.repository import WalletRow
from payment.wallets.service import gas_grant, wallet_out
from tests.helpers import CONTRACT

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ALICE, BOB = Account.create().address, Account.create().address


def row(**fields: Any) -> Row:
    values: dict[str, Any] = {
        "id": 7,
        "kind": "transfer",
        "idempotency_key": "k-1",
        "request_hash": "h",
        "sender_id": 1,
        "receiver_id": 2,
        "sender_address": ALICE,
        "receiver_address": BOB,
        "amount_wei": 10**17,
        "status": "submitted",
        "step": "payout_sent",
        "deposit_tx_hash": "0xdeposit",
        "deposit_raw_tx": b"\x01",
        "payout_tx_hash": None,
        "payout_raw_tx": None,
        "submitted_at": NOW,
        "failure_reason": None,
        "created_at": NOW,
        "updated_at": NOW,
        "chain_id": 31337,
    }
    values.update(fields)
    return Row(**values)


def test_the_request_hash_ignores_the_order_of_the_fields() -> None:
    assert request_hash(user_id=1, wei=5) == request_hash(wei=5, user_id=1)
    assert request_hash(user_id=1, wei=5) != request_hash(user_id=1, wei=6)
    assert len(request_hash(user_id=1)) == 64


def test_an_address_is_checksummed_or_refused() -> None:
    assert checksum_address(ALICE.lower()) == ALICE
    for bad in ("0x123", "not an address", "0x" + "g" * 40, ""):
        with pytest.raises(ClientException, match="not a valid Ethereum address"):
            checksum_address(bad)


def test_an_amount_above_the_maximum_is_refused() -> None:
    assert amount_wei(Decimal("10"), Decimal("10")) == 10 * 10**18
    assert amount_wei(Decimal("0.000000000000000001"), Decimal("10")) == 1
    with pytest.raises(ClientException, match="exceeds the maximum of 10 ETH"):
        amount_wei(Decimal("10.000000000000000001"), Decimal("10"))


def test_a_withdrawal_below_the_minimum_is_refused() -> None:
    check_withdrawal(10**15, 10**15)
    with pytest.raises(ClientException, match=r"below the minimum withdrawal of 0\.001 ETH"):
        check_withdrawal(10**15 - 1, 10**15)


def test_the_ledger_filters_parse_the_address_and_the_minimum_amount() -> None:
    assert filters(None, None, None, None, None) == Filters()
    parsed = filters(ALICE.lower(), "0.5", "refund", "failed", 3)
    assert parsed == Filters(ALICE, 5 * 10**17, "refund", "failed", 3)
    assert filters(None, "0", None, None, None).min_wei == 0  # zero is a minimum too
    with pytest.raises(ClientException, match="min_amount: "):
        filters(None, "-1", None, None, None)
    with pytest.raises(ClientException, match="address"):
        filters("0x123", None, None, None, None)


def test_the_where_clause_numbers_its_arguments_in_order() -> None:
    assert _where(Filters()) == ("", [])
    where, args = _where(Filters(address=ALICE, min_wei=5, status="confirmed", user_id=3))
    assert where == (
        "WHERE (sender_address = $1 OR receiver_address = $1) AND "
        "(sender_id = $2 OR receiver_id = $2) AND amount_wei >= $3 AND status = $4"
    )
    assert args == [ALICE, 3, 5, "confirmed"]


def test_a_key_belongs_to_the_sender_else_the_receiver() -> None:
    transfer = NewEntry("transfer", "k", "h", 1, 2, ALICE, BOB, 1)
    top_up = NewEntry("top_up", "k", "h", None, 2, ALICE, BOB, 1)
    assert (transfer.key_owner, top_up.key_owner) == (1, 2)
    assert (transfer.first_step, top_up.first_step) == ("deposit", "payout")
    assert NewEntry("withdrawal", "k", "h", 1, None, ALICE, BOB, 1).first_step == "deposit"
    assert not row().finished and row(status="failed").finished and row(status="confirmed").finished


def test_a_gas_grant_is_the_owners_payout_keyed_by_the_user() -> None:
    grant = gas_grant(5, BOB, ALICE, 10**15)
    assert grant == NewEntry("gas_grant", "wallet:5", "gas_grant", None, 5, ALICE, BOB, 10**15)
    assert grant.key_owner == 5 and grant.first_step == "payout"


def test_a_wallet_answers_without_its_key() -> None:
    out = wallet_out(WalletRow(5, ALICE, b"sealed"))
    assert out.model_dump() == {"user_id": 5, "address": ALICE}


def test_an_entry_shows_the_latest_transaction_and_eth() -> None:
    entry = Entry.of(row())
    assert entry.amount == "0.1" and entry.tx_hash == "0xdeposit" and entry.refund_of is None
    paid = Entry.of(row(payout_tx_hash="0xpayout", status="confirmed", step="done"))
    assert paid.tx_hash == "0xpayout" and paid.deposit_tx_hash == "0xdeposit"
    assert "deposit_raw_tx" not in entry.model_dump() and "step" not in entry.model_dump()


def test_only_a_failure_for_lack_of_funds_is_insufficient() -> None:
    poor = row(status="failed", failure_reason="Insufficient funds: the contract pool …")
    assert Outcome(poor, replayed=False).insufficient_funds
    reverted = row(status="failed", failure_reason="payout transaction 0x1 reverted")
    assert not Outcome(reverted, replayed=False).insufficient_funds
    assert not Outcome(row(failure_reason="Insufficient funds"), replayed=False).insufficient_funds


def test_the_answer_to_a_movement() -> None:
    created, replayed = respond(Outcome(row(), False)), respond(Outcome(row(), True))
    assert (created.status_code, replayed.status_code) == (201, 200)
    assert isinstance(created.content, dict) and created.content["id"] == 7
    assert json.dumps(created.content)  # already the wire's JSON types
    poor = respond(Outcome(row(status="failed", failure_reason="Insufficient funds"), True))
    assert poor.status_code == 400
    assert isinstance(poor.content, dict) and poor.content["detail"] == "Insufficient funds"
    assert poor.content["entry"]["status"] == "failed"


@pytest.mark.parametrize("value", [None, "", "k" * 201])
def test_an_idempotency_key_is_required_with_1_to_200_characters(value: str | None) -> None:
    with pytest.raises(ClientException, match="Idempotency-Key header is required"):
        idempotency_key(value)


def test_an_idempotency_key_of_200_characters_is_taken() -> None:
    assert idempotency_key("k") == "k" and idempotency_key("k" * 200) == "k" * 200


def test_fees_are_eip_1559_fields() -> None:
    assert Fees(max_fee=3, tip=1).fields() == {
        "maxFeePerGas": 3,
        "maxPriorityFeePerGas": 1,
        "type": 2,
    }


def test_the_revert_reason_is_the_contracts_message() -> None:
    assert _revert_reason(ValueError("execution reverted: only the owner")) == "only the owner"
    assert _revert_reason(ValueError("execution reverted:'empty'")) == "empty"
    assert _revert_reason(ValueError("out of gas")) == "out of gas"


@given(st.integers(min_value=1, max_value=10**25), st.integers(min_value=0, max_value=10**26))
def test_numeral_up_to_matches_exactly_1_to_its_limit(limit: int, number: int) -> None:
    pattern = re.compile(numeral_up_to(limit))
    assert bool(pattern.fullmatch(str(number))) == (1 <= number <= limit)


def test_the_id_numeral_is_the_bigint_range() -> None:
    pattern = re.compile(ID_NUMERAL)
    for number in (1, 9, 10, 10**18 - 1, 10**18, 2**62, ID_MAX - 1, ID_MAX):
        assert pattern.fullmatch(str(number)), number
    for text in ("0", "01", "-1", "+1", " 1", "1.0", str(ID_MAX + 1), str(10**19), "\u0665"):
        assert not pattern.fullmatch(text), text


def test_an_id_is_an_integer_or_its_plain_numeral() -> None:
    assert integer_id(5) == 5 and integer_id("5") == "5" and integer_id(5.0) == 5.0
    for value in (True, False, "+5", " 5", "05", "5.0", "5_0"):
        with pytest.raises(ValueError, match="valid integer"):
            integer_id(value)


# Decimal-looking text: what the amounts' patterns must sort exactly as the code does.
numerals = st.from_regex(r"\A[ ]?[+-]?[0-9]{0,3}(\.[0-9]{0,20})?([eE][+-]?[0-9]{1,2})?[ ]?\Z")


def accepted(check: Callable[[str], object], text: str) -> bool:
    try:
        check(text)
    except AmountError:
        return False
    return True


@given(numerals)
def test_a_query_s_minimum_amount_is_taken_exactly_as_published(text: str) -> None:
    published = bool(re.fullmatch(MIN_AMOUNT, text))
    assert accepted(lambda t: plain_amount(t, allow_zero=True), text) == published


@given(numerals)
def test_a_body_amount_the_code_takes_matches_the_published_pattern(text: str) -> None:
    if accepted(wire_amount, text):
        assert re.fullmatch(POSITIVE_AMOUNT, text), text
    elif re.fullmatch(POSITIVE_AMOUNT, text):  # only the decimals' rule refuses it then
        exponent = Decimal(text).as_tuple().exponent
        assert isinstance(exponent, int) and exponent < -18, text


def test_amount_spellings_no_contract_describes_are_refused() -> None:
    for text in ("1_0", "\u0665", "1\u00a0", "inf", "NaN", "0x10", "1,5"):
        with pytest.raises(AmountError, match="decimal string"):
            wire_amount(text)
    assert wire_amount(" 1e-5\n") == Decimal("0.00001") and wire_amount(0.5) == Decimal("0.5")
    with pytest.raises(AmountError, match="greater than zero"):
        plain_amount("-0", allow_zero=True)


def test_nesting_counts_brackets_outside_strings() -> None:
    assert nesting(b'{"a": [1, {"b": []}]}') == 4
    assert nesting(b'{"a": "[[[[", "b": "\\\\"}') == 1
    assert nesting(b'{"a": "\\"[[[[\\""}') == 1
    assert nesting(b"[" * 100) == 100  # unclosed
    assert nesting(b'"[[[[') == 0 and nesting(b"") == 0


transactions = st.fixed_dictionaries(
    {
        "chainId": st.sampled_from([1, 31337, 11155111, 131277322940537]),
        "nonce": st.integers(0, 2**40),
        "maxPriorityFeePerGas": st.integers(0, 10**12),
        "maxFeePerGas": st.integers(1, 10**15),
        "gas": st.sampled_from([21_000, 80_000, 3_000_000]),
        "value": st.integers(0, 2**200),
        "type": st.just(2),
    },
    optional={
        "to": st.binary(min_size=20, max_size=20).map(to_checksum_address),
        "data": st.binary(max_size=100).map(lambda b: "0x" + b.hex()),
    },
)


@given(transactions, st.binary(min_size=32, max_size=32))
def test_the_fast_signature_is_eth_accounts_byte_for_byte(tx: dict[str, Any], key: bytes) -> None:
    if not 0 < int.from_bytes(key) < 2**256 - 2**32 - 977:  # roughly the curve's order
        return
    reference = Account.from_key(key).sign_transaction(tx)
    ours = sign_dynamic_fee(key, tx)
    assert ours.raw == bytes(reference.raw_transaction)
    assert ours.tx_hash == "0x" + reference.hash.hex().removeprefix("0x")


def test_the_fast_signature_takes_only_plain_dynamic_fee_transactions() -> None:
    tx = {"chainId": 1, "nonce": 0, "maxPriorityFeePerGas": 1, "maxFeePerGas": 2, "gas": 21_000}
    with pytest.raises(ValueError):
        sign_dynamic_fee(b"\x01" * 32, {**tx, "accessList": []})
    with pytest.raises(ValueError):
        sign_dynamic_fee(b"\x01" * 32, {**tx, "type": 1})


def test_send_payment_call_data_is_the_contracts_encoding() -> None:
    receiver = Account.create().address
    expected = CONTRACT.encode_abi("sendPayment", args=[receiver, 12345])
    assert Chain.send_payment_data(receiver, 12345) == expected


async def test_a_batch_takes_every_item_that_waited_for_its_turn() -> None:
    calls: list[list[int]] = []
    started, opened = asyncio.Event(), asyncio.Event()

    async def run(items: list[int]) -> list[int]:
        calls.append(items)
        started.set()
        await opened.wait()  # the first batch holds the turn while the others queue
        return [item * 10 for item in items]

    batches: Batches[int, int] = Batches(run, limit=3)
    first = asyncio.create_task(batches.submit(0))
    await started.wait()
    others = [asyncio.create_task(batches.submit(item)) for item in range(1, 5)]
    await asyncio.sleep(0)  # each new task queues its item, then waits for the turn
    opened.set()
    assert await asyncio.gather(first, *others) == [0, 10, 20, 30, 40]
    assert calls == [[0], [1, 2, 3], [4]]


async def test_a_failed_batch_fails_each_of_its_items_and_the_next_batch_runs() -> None:
    started, opened = asyncio.Event(), asyncio.Event()

    async def run(items: list[int]) -> list[int]:
        if items == [-1]:
            started.set()
            await opened.wait()
        if 0 in items:
            raise RuntimeError("boom")
        return items

    batches: Batches[int, int] = Batches(run, limit=10)
    holder = asyncio.create_task(batches.submit(-1))
    await started.wait()
    failing = [asyncio.create_task(batches.submit(item)) for item in (0, 1)]
    await asyncio.sleep(0)
    opened.set()
    results = await asyncio.gather(*failing, return_exceptions=True)
    assert [type(result) for result in results] == [RuntimeError, RuntimeError]
    assert await holder == -1 and await batches.submit(2) == 2


async def test_a_cancelled_batch_leaves_the_others_items_for_the_next_turn() -> None:
    calls: list[list[int]] = []
    first_started, opened, second_started = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def run(items: list[int]) -> list[int]:
        calls.append(items)
        if items == [0]:
            first_started.set()
            await opened.wait()  # 1 and 2 queue meanwhile: they make the next batch
        elif len(calls) == 2:
            second_started.set()
            await asyncio.Event().wait()  # until cancelled
        return items

    batches: Batches[int, int] = Batches(run, limit=10)
    zero = asyncio.create_task(batches.submit(0))
    await first_started.wait()
    one, two = (asyncio.create_task(batches.submit(item)) for item in (1, 2))
    await asyncio.sleep(0)
    opened.set()
    await second_started.wait()
    one.cancel()
    assert await two == 2 and await zero == 0
    assert calls == [[0], [1, 2], [2]]


@pytest.mark.parametrize(
    "outage", [asyncpg.TooManyConnectionsError, asyncpg.PostgresConnectionError]
)
async def test_a_server_out_of_connection_slots_is_a_503_not_a_500(outage: type) -> None:
    """Seen under load: Postgres at max_connections made the wallet creation a 500."""

    @get("/down", sync_to_thread=False)
    def down() -> None:
        raise outage("sorry, too many clients already")

    app = Litestar(
        [down],
        exception_handlers=exception_handlers(
            OUTAGES, "Database unavailable", unstorable=UNSTORABLE
        ),
    )
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/down")
    assert response.status_code == 503, response.text
