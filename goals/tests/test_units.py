"""Pure functions, no I/O: completion dates, deadlines, a goal's shape (expiry), the progress
window, numbers on the wire, image names and sizes, the inline budget, and the internal routes'
user ids."""

import base64
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from litestar.exceptions import ClientException
from pydantic import TypeAdapter, ValidationError

from goals.clock import earliest_today
from goals.goals.models import GoalUpdate
from goals.goals.service import (
    base64_of,
    check_deadline,
    completed_at,
    decoded_size,
    goal_of,
    image_name,
)
from goals.inline import inline_within_budget
from goals.numbers import NonNegativeQuantity, PositiveQuantity, as_number
from goals.params import EXACT_USER_ID, at_most
from goals.progress.window import window
from goals.storage import KnownSizes, base64_length

NOW = datetime(2026, 6, 14, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(days=2)
LATER = NOW + timedelta(hours=1)


# Completion dates


def test_a_goal_below_its_objective_is_not_completed() -> None:
    assert completed_at(Decimal("9.999"), Decimal(10), EARLIER, NOW) is None


def test_reaching_the_objective_completes_now() -> None:
    assert completed_at(Decimal(10), Decimal(10), None, NOW) == NOW


def test_a_completed_goal_keeps_the_instant_it_got_there() -> None:
    assert completed_at(Decimal(12), Decimal(10), EARLIER, NOW) == EARLIER


# Deadlines, "anywhere on Earth"


def test_today_is_the_date_at_utc_minus_12() -> None:
    assert earliest_today(NOW.replace(hour=11, minute=59)) == date(2026, 6, 13)
    assert earliest_today(NOW) == date(2026, 6, 14)
    aware_elsewhere = NOW.astimezone(tz=None)
    assert earliest_today(aware_elsewhere) == date(2026, 6, 14)


def test_a_deadline_before_today_anywhere_is_refused() -> None:
    check_deadline(date(2026, 6, 13), NOW.replace(hour=11))  # still the 13th at UTC-12
    with pytest.raises(ClientException, match="time_limit is in the past"):
        check_deadline(date(2026, 6, 13), NOW)


# A goal as clients read it


DEADLINE = date(2026, 6, 14)


def goal_row(**overrides: Any) -> Any:
    """A row as the repository returns it (goal_of reads it by key, as a mapping)."""
    row: dict[str, Any] = {
        "id": 1, "user_id": 5, "title": "Run", "description": "Run 10k", "metric": "distance",
        "unit": "km", "objective": Decimal("10.000"), "progress": Decimal("2.500"),
        "time_limit": DEADLINE, "has_image": False, "created_at": EARLIER,
        "updated_at": NOW, "completed_at": None,
    }  # fmt: skip
    row.update(overrides)
    return row


def test_a_goal_expires_only_after_its_last_day_unless_completed() -> None:
    on_the_day = goal_of(goal_row(), None, today=DEADLINE)
    assert on_the_day.expired is False and on_the_day.completed is False
    assert goal_of(goal_row(), None, today=DEADLINE + timedelta(days=1)).expired is True
    done = goal_of(goal_row(completed_at=NOW), None, today=DEADLINE + timedelta(days=1))
    assert (done.completed, done.expired, done.completed_at) == (True, False, NOW)


def test_each_field_of_a_goal_comes_from_its_own_column() -> None:
    """goal_of builds the struct positionally: a column in the wrong place would show here."""
    row = goal_row(id=11, user_id=12, title="T", description="D", metric="M", unit="U",
                   objective=Decimal(13), progress=Decimal(14), created_at=NOW, updated_at=LATER,
                   completed_at=EARLIER)  # fmt: skip
    goal = msgspec.structs.asdict(goal_of(row, "I", today=DEADLINE, image_omitted=True))
    assert goal == {
        "id": 11, "user_id": 12, "title": "T", "description": "D", "metric": "M", "unit": "U",
        "objective": 13, "progress": 14, "time_limit": DEADLINE, "image": "I",
        "image_omitted": True, "completed": True, "completed_at": EARLIER, "expired": False,
        "created_at": NOW, "updated_at": LATER,
    }  # fmt: skip


def test_a_goal_carries_numbers_its_image_and_whether_it_was_left_out() -> None:
    goal = goal_of(goal_row(), "abc", today=DEADLINE)
    assert (goal.objective, goal.progress, goal.image) == (10, 2.5, "abc")
    assert type(goal.objective) is int and goal.image_omitted is False
    omitted = goal_of(goal_row(), None, DEADLINE, image_omitted=True)
    assert (omitted.image, omitted.image_omitted) == (None, True)


# The progress window


def test_the_window_is_the_last_days_up_to_now() -> None:
    assert window(NOW, 7) == (NOW - timedelta(days=7), NOW)
    assert window(NOW, 1) == (NOW - timedelta(hours=24), NOW)


# Numbers on the wire


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (Decimal("10.000"), 10),
        (Decimal("2.5"), 2.5),
        (Decimal(0), 0),
        (Decimal("0.001"), 0.001),
        (Decimal("999999999999.000"), 999999999999),
        (Decimal("999999999999.999"), 999999999999.999),
        (Decimal("-0.001"), -0.001),
    ],
)
def test_integers_stay_integers(value: Decimal, number: float) -> None:
    result = as_number(value)
    assert result == number and type(result) is type(number)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10", Decimal(10)),
        (2.5, Decimal("2.5")),
        ("\u00a010.500 ", Decimal("10.5")),
        (".5", Decimal("0.5")),
    ],
)
def test_quantities_read_numbers_and_numeric_strings(text: object, value: Decimal) -> None:
    assert TypeAdapter(PositiveQuantity).validate_python(text) == value


# Decimal itself would read "1e2", "1_0" and other scripts' digits; a quantity is a plain numeral.
@pytest.mark.parametrize(
    "bad", ["0", -1, "1.0001", "1e15", "NaN", "inf", "ten", "1e2", "1_0", "\u0661\u0660", True]
)
def test_objectives_are_positive_finite_with_three_decimals(bad: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(PositiveQuantity).validate_python(bad)


def test_progress_may_be_zero_but_not_negative() -> None:
    assert TypeAdapter(NonNegativeQuantity).validate_python("0") == 0
    with pytest.raises(ValidationError):
        TypeAdapter(NonNegativeQuantity).validate_python("-0.5")


def test_an_edit_reads_the_apps_blank_fields_as_unchanged() -> None:
    edit = GoalUpdate.model_validate({"time_limit": "", "progress": 0, "title": "Run"})
    assert (edit.time_limit, edit.progress, edit.title) == (None, None, "Run")
    typed = GoalUpdate.model_validate({"time_limit": "2026-07-01", "progress": "0"})
    assert (typed.time_limit, typed.progress) == (date(2026, 7, 1), Decimal(0))


# Image names, sizes and the inline budget


def test_a_goals_image_is_named_by_its_id() -> None:
    assert image_name(42) == "goals/42/image"


def test_the_base64_of_a_data_url_is_its_payload() -> None:
    assert base64_of("data:image/png;base64,iVBOR") == "iVBOR"
    assert base64_of("iVBOR") == "iVBOR"


@pytest.mark.parametrize("decoded", [0, 1, 2, 3, 4, 5, 1000])
def test_decoded_size_and_base64_length_agree(decoded: int) -> None:
    text = base64.b64encode(b"x" * decoded).decode()
    assert base64_length(decoded) == len(text)
    assert decoded_size(text) == decoded
    assert decoded_size(f"data:image/png;base64,{text}") == decoded


def test_known_sizes_drop_the_least_recently_used() -> None:
    sizes = KnownSizes(max_entries=2)
    sizes.put("a", 1)
    sizes.put("b", 2)
    assert sizes.get("a") == 1  # a is now the most recent
    sizes.put("c", 3)
    assert (sizes.get("a"), sizes.get("b"), sizes.get("c")) == (1, None, 3)
    sizes.forget("a")
    assert sizes.get("a") is None


async def test_the_budget_inlines_in_order_and_always_the_first() -> None:
    stored = {"a": "x" * 60, "b": "y" * 30, "c": "z" * 30}

    async def fetch(name: str) -> str | None:
        return stored.get(name)

    images, omitted = await inline_within_budget(
        ["a", None, "b", "c"], fetch, lambda name: None, budget=50, max_items=10, concurrency=4
    )
    assert images == ["x" * 60, None, None, None]  # the first goes in even beyond the budget
    assert omitted == [False, False, True, True]


async def test_the_budget_caps_the_number_of_images() -> None:
    async def fetch(name: str) -> str | None:
        return name

    images, omitted = await inline_within_budget(
        ["a", "b", "c"], fetch, len, budget=100, max_items=2, concurrency=4
    )
    assert images == ["a", "b", None]
    assert omitted == [False, False, True]


# The internal routes' user ids


@pytest.mark.parametrize("bound", [0, 1, 9, 10, 99, 100, 305, 1000, 2024])
def test_at_most_reads_exactly_the_numerals_up_to_its_bound(bound: int) -> None:
    numeral = re.compile(f"^(?:{at_most(bound)})$")
    assert [n for n in range(3000) if numeral.fullmatch(str(n))] == list(range(bound + 1))
    assert not numeral.fullmatch("00") and not numeral.fullmatch(f"0{min(bound, 9)}")


def test_an_exact_user_id_is_a_bigint_written_plainly() -> None:
    exact = re.compile(EXACT_USER_ID)
    for value in ("0", "5", str(2**63 - 1), str(2**63 - 2), "9" * 18, str(10**18)):
        assert exact.fullmatch(value), value
    for value in ("", "00", "05", str(2**63), "9" * 19, "-1", "+5", "1e3", " 5", "\u0665"):
        assert not exact.fullmatch(value), value
    for n in range(2**63 - 1000, 2**63 + 1000):
        assert bool(exact.fullmatch(str(n))) == (n < 2**63)
