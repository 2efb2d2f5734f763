"""Pure functions, no I/O: page envelopes, the search checks, amounts, recovery bodies and the
ledger mapping."""

from decimal import Decimal

import pytest
from litestar.exceptions import ClientException

from users.accounts.service import username_from_body
from users.clients.payment import eth
from users.errors import NotAcceptable
from users.pagination import MAX_LIMIT, clamp, envelope
from users.profiles.models import ProfileUpdate
from users.profiles.service import check_search
from users.wallets.service import movement


def test_envelope_counts_pages_from_the_offset() -> None:
    assert envelope(10, 25, 0, 10) == {"total": 25, "page": 1, "size": 10, "pages": 3}
    assert envelope(5, 25, 20, 10) == {"total": 25, "page": 3, "size": 5, "pages": 3}
    assert envelope(0, 0, 0, 10) == {"total": 0, "page": 1, "size": 0, "pages": 0}
    # An offset between pages rounds up, as in 2023.
    assert envelope(10, 25, 5, 10)["page"] == 2


def test_clamp_cuts_large_limits() -> None:
    assert clamp(1) == 1
    assert clamp(MAX_LIMIT) == MAX_LIMIT
    assert clamp(MAX_LIMIT + 1) == MAX_LIMIT


@pytest.mark.parametrize(
    ("username", "latitude", "longitude", "error", "detail"),
    [
        (None, 1.0, None, NotAcceptable, "Longitude MUST BE defined when searching by location."),
        (None, None, 1.0, NotAcceptable, "Latitude MUST BE defined when searching by location."),
        ("jorge", 1.0, 1.0, NotAcceptable, "Can't search by username and location. Use only one."),
        (None, 91.0, 0.0, ClientException, "latitude must be between -90 and 90"),
        (None, 0.0, -181.0, ClientException, "longitude must be between -180 and 180"),
    ],
)
def test_contradictory_searches_are_refused(
    username: str | None,
    latitude: float | None,
    longitude: float | None,
    error: type[Exception],
    detail: str,
) -> None:
    with pytest.raises(error) as raised:
        check_search(username, latitude, longitude)
    assert getattr(raised.value, "detail", None) == detail


def test_consistent_searches_pass() -> None:
    check_search(None, None, None)
    check_search("jorge", None, None)
    check_search(None, -90.0, 180.0)


def test_eth_is_plain_decimal_notation() -> None:
    assert eth(Decimal("0.00001")) == "0.00001"
    assert eth(Decimal("1E-5")) == "0.00001"
    assert eth(Decimal("2.500")) == "2.5"
    assert eth(Decimal("1000")) == "1000"


@pytest.mark.parametrize(
    ("body", "username"),
    [
        (b'"jorge"', "jorge"),
        (b'{"username": " jorge "}', "jorge"),
        (b"jorge", "jorge"),
        (b"", None),
        (b"   ", None),
        (b'{"other": 1}', None),
        (b"42", None),
        (("x" * 101).encode(), None),
    ],
)
def test_username_from_the_recovery_body(body: bytes, username: str | None) -> None:
    assert username_from_body(body) == username


def test_movement_maps_a_ledger_entry() -> None:
    entry = {
        "id": 7,
        "kind": "transfer",
        "sender_address": "0xa",
        "receiver_address": "0xb",
        "amount": "0.5",
        "created_at": "2026-01-01T00:00:00Z",
        "status": "confirmed",
    }
    moved = movement(entry)
    assert moved.model_dump() == {
        "id": 7,
        "kind": "transfer",
        "sender": "0xa",
        "receiver": "0xb",
        "amount": "0.5",
        "date": "2026-01-01T00:00:00Z",
        "status": "confirmed",
        "tx_hash": None,
    }


def test_profile_update_columns_leave_out_remote_fields_and_nulls() -> None:
    update = ProfileUpdate.model_validate(
        {"name": "Ana", "surname": None, "coordinates": [1.0, 2.0], "image": "aGk="}
    )
    assert update.columns() == {"name": "Ana"}
