"""Pure functions, tested without any server: rating means, page totals and sizes, media sizes,
names and budgets, search filters, catalogue look-ups and answers, the rows and responses built
from a training, the columns an edit writes and the role split of a PATCH body, and what the wire
accepts (each type of trainings.inputs against the pattern the document publishes for it)."""

import random
import re
from collections.abc import Awaitable, Callable
from typing import Annotated

import pytest
from litestar.exceptions import ClientException, NotFoundException
from pydantic import BaseModel, StringConstraints, ValidationError

from tests.helpers import make_settings
from trainings import inputs
from trainings.catalogue.models import Exercise
from trainings.catalogue.service import (
    Catalogue,
    CatalogueExercise,
    difficulty_names,
    exercise_list,
    type_names,
)
from trainings.favourites.models import FavouriteCreate, RatingUpdate
from trainings.inline import inline_within_budget
from trainings.internal.routes import IDS_PATTERN
from trainings.internal.service import parse_ids
from trainings.storage import KnownSizes, ReadCache, base64_length
from trainings.trainings.models import (
    TrainerTrainingUpdate,
    TrainingExercise,
    TrainingExerciseCreate,
    TrainingUpdate,
)
from trainings.trainings.repository import Filters
from trainings.trainings.service import (
    content_changes,
    decoded_size,
    exercise_rows,
    existing,
    mean_rating,
    new_media_name,
    page_size,
    page_total,
    parse_trainer_id,
    to_training,
)


# No database and no Redis here: these replace the suite's autouse fixtures of the same name.
@pytest.fixture(autouse=True)
def database() -> None:
    return None


@pytest.fixture(autouse=True)
def clean() -> None:
    return None


@pytest.mark.parametrize(
    ("total", "count", "mean"),
    [(0, 0, 0), (5, 1, 5), (9, 2, 5), (7, 2, 4), (10, 3, 3), (11, 3, 4), (3, 2, 2)],
)
def test_mean_rating_rounds_half_up_and_is_zero_without_rates(
    total: int, count: int, mean: int
) -> None:
    assert mean_rating(total, count) == mean


@pytest.mark.parametrize(
    ("offset", "limit", "returned", "total"),
    [
        (0, 10, 3, 3),  # a partial first page is everything
        (20, 10, 5, 25),  # a partial later page ends the list
        (0, 10, 0, 0),  # nothing from the start: nothing at all
        (20, 10, 0, None),  # past the end: the count must say how many there are
        (0, 10, 10, None),  # a full page: there may be more
    ],
)
def test_page_total_is_known_only_when_the_page_tells_it(
    offset: int, limit: int, returned: int, total: int | None
) -> None:
    assert page_total(offset, limit, returned) == total


@pytest.mark.parametrize(
    ("image", "size"),
    [
        ("AAAA", 3),
        ("AAA=", 2),
        ("AA==", 1),
        ("data:image/png;base64,AAAAAAAA", 6),
        ("AAAA\nAAAA\r\n", 6),
        ("", 0),
    ],
)
def test_decoded_size_without_decoding(image: str, size: int) -> None:
    assert decoded_size(image) == size


@pytest.mark.parametrize(("decoded", "encoded"), [(0, 0), (1, 4), (3, 4), (4, 8), (6, 8)])
def test_base64_length(decoded: int, encoded: int) -> None:
    assert base64_length(decoded) == encoded


@pytest.mark.parametrize(
    ("text", "trainer_id"),
    [
        ("12", 12),
        (" 7 ", 7),
        (str(2**63 - 1), 2**63 - 1),
        (str(2**63), None),  # beyond a bigint
        ("5training_type=Arm", None),  # the back office's glued query string
        ("-1", None),
        ("²", None),  # a digit to str.isdigit, not to Postgres
        ("", None),
        (None, None),
    ],
)
def test_parse_trainer_id(text: str | None, trainer_id: int | None) -> None:
    assert parse_trainer_id(text) == trainer_id


def test_filters_without_any_filter_have_no_where_clause() -> None:
    assert Filters().where([]) == "TRUE"


def test_filters_give_only_the_filters_set_in_order_with_like_escapes() -> None:
    args: list[object] = []
    where = Filters(type_id=2, title_prefix="50%_a\\b", blocked=False).where(args)
    assert where == "t.type_id = $1 AND lower(t.title) LIKE lower($2) || '%' AND t.blocked = $3"
    assert args == [2, "50\\%\\_a\\\\b", False]


def test_only_type_and_difficulty_filters_jump_through_the_blocks() -> None:
    assert Filters().in_blocks() and Filters(type_id=1, difficulty_id=2).in_blocks()
    assert not Filters(trainer_id=5).in_blocks()
    assert not Filters(type_id=1, title_prefix="a").in_blocks()
    assert not Filters(blocked=False).in_blocks()


def test_known_sizes_drop_the_least_recently_used() -> None:
    sizes = KnownSizes(max_entries=2)
    sizes.put("a", 1)
    sizes.put("b", 2)
    assert sizes.get("a") == 1  # a is now the most recent
    sizes.put("c", 3)
    assert (sizes.get("a"), sizes.get("b"), sizes.get("c")) == (1, None, 3)
    sizes.forget("a")
    assert sizes.get("a") is None


def test_cache_keeps_the_most_recently_used_within_its_bound() -> None:
    cache = ReadCache(max_bytes=3 * (len("n1") + 10 + 64))
    for name in ("n1", "n2", "n3"):
        cache.put(name, "x" * 10)
    assert cache.get("n1") == "x" * 10  # n1 is now the most recent
    cache.put("n4", "y" * 10)
    assert cache.get("n2") is None
    assert [cache.get(name) for name in ("n1", "n3", "n4")] == ["x" * 10, "x" * 10, "y" * 10]
    cache.put("huge", "z" * 1000)  # larger than the whole cache: not kept
    assert cache.get("huge") is None
    disabled = ReadCache(max_bytes=0)
    disabled.put("n1", "")
    assert disabled.get("n1") is None
    forgotten = ReadCache(max_bytes=1024)
    forgotten.put("n1", "x")
    forgotten.forget("n1")
    assert forgotten.get("n1") is None
    forgotten.forget("n1")  # forgetting twice is fine
    # A value put again replaces the old one and its cost: the bound still holds.
    bounded = ReadCache(max_bytes=2 * (len("n1") + 10 + 64))
    for value in ("a" * 10, "b" * 10, "c" * 10):
        bounded.put("n1", value)
    bounded.put("n2", "d" * 10)
    assert (bounded.get("n1"), bounded.get("n2")) == ("c" * 10, "d" * 10)


def _fetch_from(images: dict[str, str | None]) -> Callable[[str], Awaitable[str | None]]:
    async def fetch(name: str) -> str | None:
        return images[name]

    return fetch


async def test_inline_always_carries_the_first_media_and_omits_from_the_first_misfit() -> None:
    images: dict[str, str | None] = {"a": "x" * 100, "b": "y" * 10, "c": "z" * 10}
    fetch = _fetch_from(images)
    media, omitted = await inline_within_budget(
        ["a", "b", "c"], fetch, lambda _: None, budget=50, max_items=25, concurrency=10
    )
    assert media == ["x" * 100, None, None]
    assert omitted == [False, True, True]


async def test_inline_within_budget_and_item_cap() -> None:
    images: dict[str, str | None] = {name: name * 10 for name in "abcd"}
    known = {name: 10 for name in images}
    fetch = _fetch_from(images)
    media, omitted = await inline_within_budget(
        ["a", "b", "c", "d"], fetch, known.get, budget=1000, max_items=2, concurrency=10
    )
    assert media == ["a" * 10, "b" * 10, None, None]
    assert omitted == [False, False, True, True]


async def test_inline_skips_trainings_without_media_and_missing_objects() -> None:
    images: dict[str, str | None] = {"gone": None, "b": "b" * 10}
    fetch = _fetch_from(images)
    media, omitted = await inline_within_budget(
        [None, "gone", "b"], fetch, lambda _: None, budget=100, max_items=25, concurrency=10
    )
    assert media == [None, None, "b" * 10]
    assert omitted == [False, False, False]


CATALOGUE = Catalogue(
    {"Arm": 1, "Leg": 2},
    {"Easy": 1},
    [CatalogueExercise(1, "Curl", "Arm", None), CatalogueExercise(2, "Run", "Leg", "km")],
)


def test_catalogue_looks_names_up_both_ways() -> None:
    assert CATALOGUE.type_id("Leg") == 2
    assert CATALOGUE.type_name(2) == "Leg"
    assert CATALOGUE.difficulty_name(CATALOGUE.difficulty_id("Easy")) == "Easy"
    assert CATALOGUE.exercise_ids([("Run", "km"), ("Curl", None)]) == [2, 1]


def test_catalogue_names_what_it_knows_when_a_name_is_unknown() -> None:
    with pytest.raises(ClientException, match=r"Unknown training type 'Back'; known: Arm, Leg"):
        CATALOGUE.type_id("Back")


def test_catalogue_lists_every_unknown_exercise() -> None:
    with pytest.raises(ClientException) as raised:
        CATALOGUE.exercise_ids([("Curl", None), ("Run", None), ("Swim", "m")])
    assert raised.value.detail == "Unknown exercises: 'Run' (no unit), 'Swim' (unit 'm')"


def test_catalogue_answers_list_every_name_in_catalogue_order() -> None:
    assert type_names(CATALOGUE).items == ["Arm", "Leg"]
    assert difficulty_names(CATALOGUE).items == ["Easy"]
    assert exercise_list(CATALOGUE).items == [
        Exercise(name="Curl", type="Arm", unit=None),
        Exercise(name="Run", type="Leg", unit="km"),
    ]


@pytest.mark.parametrize(
    ("largest", "limit", "size"), [(25, 10, 10), (25, 100, 25), (5, 10, 5), (5, 3, 3)]
)
def test_page_size_caps_the_limit_to_the_largest_page(largest: int, limit: int, size: int) -> None:
    assert page_size(make_settings(max_page_size=largest), limit) == size


def test_existing_passes_what_was_found_and_is_a_404_for_nothing() -> None:
    assert existing(0) == 0  # found, though falsy
    with pytest.raises(NotFoundException) as raised:
        existing(None)
    assert raised.value.detail == "Training not found."


def test_every_upload_gets_a_new_media_name_under_its_training() -> None:
    first, second = new_media_name(7), new_media_name(7)
    assert first.startswith("trainings/7/media-") and second.startswith("trainings/7/media-")
    assert first != second


def test_exercise_rows_keep_the_body_order_with_catalogue_ids() -> None:
    body = [
        TrainingExerciseCreate(name="Run", unit="km", count=5),
        TrainingExerciseCreate(name="Curl", count=10, series=3),
    ]
    assert exercise_rows(CATALOGUE, body) == [(2, 5, None), (1, 10, 3)]
    with pytest.raises(ClientException):
        exercise_rows(CATALOGUE, [TrainingExerciseCreate(name="Swim", count=1)])


def test_a_training_response_names_what_its_row_numbers() -> None:
    row = {
        "id": 3,
        "trainer_id": 101,
        "title": "Leg day",
        "description": "Runs",
        "type_id": 2,
        "difficulty_id": 1,
        "media": "trainings/3/media-x",
        "blocked": False,
        "rating_sum": 9,
        "rating_count": 2,
    }
    exercises = [{"exercise_id": 2, "count": 5, "series": None}]
    training = to_training(CATALOGUE, row, exercises, None, media_omitted=True)
    assert (training.trainer_id, training.type, training.difficulty) == ("101", "Leg", "Easy")
    assert (training.media, training.media_omitted) == (None, True)
    assert (training.rating, training.rating_count, training.blocked) == (5, 2, False)
    assert training.exercises == [
        TrainingExercise(name="Run", type="Leg", unit="km", count=5, series=None)
    ]


def test_an_edit_writes_only_the_columns_it_names() -> None:
    assert content_changes(CATALOGUE, TrainerTrainingUpdate()) == {}
    edit = TrainerTrainingUpdate(title="Leg day", type="Leg", difficulty="Easy", media="")
    assert content_changes(CATALOGUE, edit) == {
        "title": "Leg day",
        "type_id": 2,
        "difficulty_id": 1,
    }  # media is stored first, then named by the caller
    with pytest.raises(ClientException):
        content_changes(CATALOGUE, TrainerTrainingUpdate(difficulty="Hard"))


def test_a_patch_body_splits_into_the_trainers_and_the_admins_parts() -> None:
    body = TrainingUpdate.model_validate({"title": "Leg day", "blocked": True, "id": 3})
    content = body.content()
    assert content.model_fields_set == {"title"}
    assert content.title == "Leg day"
    assert body.moderation().blocked is True
    assert TrainingUpdate.model_validate({"title": "Leg day"}).moderation().blocked is None


def test_a_blank_exercise_unit_is_no_unit() -> None:
    exercise = TrainingExerciseCreate.model_validate({"name": "Curl", "unit": " ", "count": 3})
    assert exercise.unit is None


@pytest.mark.parametrize("body", [{"rate": True}, {"rate": 6}, {"rate": -1}, {"rate": "x"}])
def test_rates_are_integers_from_0_to_5(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RatingUpdate.model_validate(body)


def test_numbers_may_arrive_as_numeric_strings() -> None:
    assert RatingUpdate.model_validate({"rate": "3"}).rate == 3
    assert FavouriteCreate.model_validate({"training_id": "12"}).training_id == 12
    with pytest.raises(ValidationError):
        FavouriteCreate.model_validate({"training_id": True})


# What the wire accepts (trainings.inputs): each type validates exactly its published pattern ---


class _Texts(BaseModel):
    title: Annotated[str, *inputs.text(3, 8)]
    name: Annotated[str, *inputs.text(1, 4)]


class _Numbers(BaseModel):
    rate: Annotated[int, *inputs.integer(0, 5)]
    count: Annotated[int, *inputs.integer(1, 1000)]


def _accepted(model: type[BaseModel], field: str, value: object) -> bool:
    try:
        model.model_validate({field: value}, strict=False)  # as Litestar validates bodies
    except ValidationError as error:
        return not any(e["loc"] == (field,) for e in error.errors())
    return True


def test_blanks_are_what_pydantic_trimmed() -> None:
    class Stripped(BaseModel):
        text: Annotated[str, StringConstraints(strip_whitespace=True)]

    every = (chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    assert {c for c in every if Stripped(text=f"{c}a{c}").text == "a"} == set(inputs.BLANKS)


@pytest.mark.parametrize(("field", "lo", "hi"), [("title", 3, 8), ("name", 1, 4)])
def test_a_text_is_accepted_exactly_when_its_pattern_matches(field: str, lo: int, hi: int) -> None:
    pattern = re.compile(inputs.text_pattern(lo, hi))
    alphabet = ["a", "é", " ", "\t", "\n", "\u00a0", "\u3000", "\x1c", "\x00", "-", "\U0001f3cb"]
    rnd = random.Random(7)
    samples = ["", " ", "\x00", "abc", " abc ", "a\x00b"]
    samples += ["".join(rnd.choices(alphabet, k=rnd.randint(0, hi + 4))) for _ in range(3000)]
    for value in samples:
        assert _accepted(_Texts, field, value) == bool(pattern.search(value)), repr(value)


@pytest.mark.parametrize(("field", "lo", "hi"), [("rate", 0, 5), ("count", 1, 1000)])
def test_a_number_is_accepted_exactly_when_its_schema_allows_it(
    field: str, lo: int, hi: int
) -> None:
    pattern = re.compile(inputs.numeric_pattern(lo, hi))
    rnd = random.Random(11)
    texts = ["", " ", "0", "00", "1", "5", "6", "+1", "-1", "1.0", "1_0", "1e3", "٣", "0x1"]
    texts += ["".join(rnd.choices(" \t\n0123456789", k=rnd.randint(1, 6))) for _ in range(3000)]
    for text in texts:
        assert _accepted(_Numbers, field, text) == bool(pattern.search(text)), repr(text)
    for number in [*range(-3, 1010), 2**70, 3.0, 2.5, True, False, None]:
        allowed = not isinstance(number, bool) and number is not None
        allowed = allowed and float(number).is_integer() and lo <= number <= hi
        assert _accepted(_Numbers, field, number) == allowed, repr(number)


def test_digit_patterns_cover_their_range_exactly() -> None:
    rnd = random.Random(3)
    for lo, hi in [
        (0, 0),
        (1, 1),
        (0, 5),
        (1, 9),
        (1, 10),
        (1, 999),
        (0, 2**31 - 1),
        (1, 2**63 - 1),
    ]:
        pattern = re.compile(f"^{inputs.digits_pattern(lo, hi)}$")
        numbers = [*range(0, 1200), hi - 1, hi, hi + 1, 10 ** len(str(hi))]
        numbers += [rnd.randrange(0, 2 * hi + 2) for _ in range(2000)]
        for number in numbers:
            assert bool(pattern.match(str(number))) == (lo <= number <= hi), (lo, hi, number)
        assert not pattern.match("0" + str(hi))  # leading zeros are the numeric pattern's


def test_a_names_pattern_is_one_of_them_with_blanks_around() -> None:
    pattern = re.compile(inputs.names_pattern(["Push-down", "Walk", "Close grip push up"]))
    for name in ("Walk", " Walk\n", "\u00a0Push-down", "Close grip push up"):
        assert pattern.search(name), name
    for name in ("walk", "Walks", "Push", "Walk Walk", "", "Close grip"):
        assert not pattern.search(name), name


def test_ids_are_one_to_a_hundred_positive_bigints_once_each() -> None:
    pattern = re.compile(IDS_PATTERN)
    for text in ("1", "3,1,3", ",".join(map(str, range(1, 101))), str(2**63 - 1)):
        assert pattern.search(text), text
    for text in ("", "0", "1,", ",1", "1,,2", "01", " 1", "-1", str(2**63), "1;2"):
        assert not pattern.search(text), text
    assert not pattern.search(",".join(map(str, range(1, 102))))
    assert parse_ids("3,1,3") == [1, 3]
    with pytest.raises(ClientException):
        parse_ids("1\n")  # Python's `$` lets a final newline through the pattern
