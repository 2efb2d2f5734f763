"""Schemathesis hooks for the contract test, loaded through tests/schemathesis.toml (`hooks`).

A movement (POST /payment/transfers, /withdrawals, /top-ups) obeys rules that the document
states in words, in its body's and its amount's descriptions, but that no JSON Schema can
check. So a schema-valid movement may be refused with 400 for one of them alone:

- insufficient funds, a state of the chain (a fresh wallet can move nothing; the pool drains),
  answered with the failed entry;
- the sender is the receiver (two fields compared);
- the amount has more than 18 decimals once its exponent is applied (a string's exponent, a JSON
  number's binary fraction), is above PAYMENT_MAX_AMOUNT or below PAYMENT_MIN_WITHDRAWAL (the
  string form's bounds: only the number form can carry `maximum`);
- a withdrawal to an address with code, or to the payment contract, a state of the chain.

`filter_failure` drops exactly those failures: ST202 ("schema-valid request rejected") on a
movement, answered 400 with that rule's words, when the request indeed breaks the rule by this
file's own reading of it (the chain's states excepted: the answer names them). Any other
rejection, and every other check on every operation, still fails the run."""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import schemathesis

MOVEMENTS = {"/payment/transfers", "/payment/withdrawals", "/payment/top-ups"}
MAXIMUM = re.compile(r"amount exceeds the maximum of (\S+) ETH")
MINIMUM = re.compile(r"amount is below the minimum withdrawal of (\S+) ETH")
CHAIN_STATES = {
    "address is a contract: withdrawals go to plain accounts only",
    "address is the payment contract itself",
}


def amount_of(body: dict[str, Any]) -> Decimal | None:
    """The body's amount as the document describes it (a float as the decimal it prints as)."""
    value = body.get("amount")
    try:
        if isinstance(value, str):
            return Decimal(value.strip())
        if isinstance(value, float):
            return Decimal(repr(value))
        if isinstance(value, int) and not isinstance(value, bool):
            return Decimal(value)
    except InvalidOperation:
        return None
    return None


def breaks_a_stated_rule(path: str, body: dict[str, Any], answer: dict[str, Any]) -> bool:
    detail = str(answer.get("detail", ""))
    messages = [str(e.get("message", "")) for e in answer.get("errors", []) if isinstance(e, dict)]
    amount = amount_of(body)
    if detail.startswith("Insufficient funds"):
        return isinstance(answer.get("entry"), dict) and answer["entry"].get("status") == "failed"
    if detail == "sender and receiver must be different users":
        return str(body.get("sender_id")) == str(body.get("receiver_id"))
    if path == "/payment/withdrawals" and detail in CHAIN_STATES:
        return True
    if amount is None:
        return False
    if any(m.endswith("amount has more than 18 decimals") for m in messages):
        exponent = amount.as_tuple().exponent
        return isinstance(exponent, int) and exponent < -18
    if found := MAXIMUM.fullmatch(detail):
        return amount > Decimal(found[1])
    if path == "/payment/withdrawals" and (found := MINIMUM.fullmatch(detail)):
        return amount < Decimal(found[1])
    return False


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """False drops the failure."""
    path = case.operation.path
    if failure.code != "ST202" or path not in MOVEMENTS or response.status_code != 400:
        return True
    try:
        answer = response.json()
    except ValueError:
        return True
    body = case.body if isinstance(case.body, dict) else {}
    return not (isinstance(answer, dict) and breaks_a_stated_rule(path, body, answer))
