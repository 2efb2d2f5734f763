from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payment.amounts import AmountError, format_eth, parse_eth, to_wei
from payment.crypto import KeyBox


@given(st.integers(min_value=1, max_value=10**30))
def test_wei_round_trips_through_the_wire_format(wei: int) -> None:
    text = format_eth(wei)
    assert "e" not in text.lower()
    assert to_wei(parse_eth(text)) == wei


@pytest.mark.parametrize(
    ("wei", "text"),
    [
        (10**18, "1"),
        (10**13, "0.00001"),
        (1, "0.000000000000000001"),
        (15 * 10**17, "1.5"),
        (0, "0"),
    ],
)
def test_format_eth_is_plain_decimal(wei: int, text: str) -> None:
    assert format_eth(wei) == text


def test_numbers_parse_as_their_decimal() -> None:
    assert parse_eth(0.1) == Decimal("0.1")
    assert parse_eth(2) == Decimal(2)
    assert parse_eth(" 0.5 ") == Decimal("0.5")


@pytest.mark.parametrize("value", ["0", "-0.1", "x", "1e-19", "0.0000000000000000001", "inf", True])
def test_bad_amounts_are_refused(value: object) -> None:
    with pytest.raises(AmountError):
        parse_eth(value)


def test_keybox_refuses_a_bad_key_and_foreign_tokens() -> None:
    with pytest.raises(ValueError, match="32 url-safe base64"):
        KeyBox("short")
    sealed = KeyBox("bG9jYWwtb25seS1maXVmaXQtd2FsbGV0LWtleS0zMmI=").seal(b"secret")
    with pytest.raises(RuntimeError):
        KeyBox("b3RoZXItb25seS1maXVmaXQtd2FsbGV0LWtleS0zMmI=").open(sealed)
