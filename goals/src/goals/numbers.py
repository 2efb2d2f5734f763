"""Quantities (objective, progress) on the wire: numbers or numeric strings in, JSON numbers out.

The mobile app sends quantities as strings of digits ("10"); other callers send JSON numbers.
Both are read, and the OpenAPI document states both forms (`QUANTITY_SCHEMA`): a number that is
a multiple of 0.001, or a decimal numeral (ASCII digits, an optional point, blanks around it
ignored). Either way at most 12 digits before the point and 3 after (trailing zeros aside):
numeric(15, 3) in Postgres."""

import re
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from goals.params import padded

MAXIMUM = Decimal("999999999999.999")

# What a quantity written as a string looks like; a string of any other shape is refused before
# its value is read (Decimal would also read "1e2", "1_000" or other scripts' digits).
_NUMERAL = re.compile(padded(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"))

# The numerals each range admits, as the OpenAPI document states them.
_FRACTION = r"(?:\.[0-9]{0,3}0*)?"
POSITIVE_NUMERAL = padded(
    rf"\+?(?:0*[1-9][0-9]{{0,11}}{_FRACTION}|0*\.(?:[1-9][0-9]{{0,2}}|0[1-9][0-9]?|00[1-9])0*)"
)
NON_NEGATIVE_NUMERAL = padded(
    rf"\+?(?:0*[0-9]{{1,12}}{_FRACTION}|\.[0-9]{{1,3}}0*)|-(?:0+(?:\.0*)?|\.0+)"
)


def _numeral(value: object) -> object:
    if isinstance(value, str) and not _NUMERAL.fullmatch(value):
        raise PydanticCustomError("decimal_parsing", "Input should be a valid decimal")
    return value


def quantity_schema(positive: bool, unchanged: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    """The forms of a quantity (and the `unchanged` ones of an edit), as the attributes of
    Litestar's schema that replace what it infers (`json_schema_extra`)."""
    number: dict[str, Any] = {"type": "number", "maximum": float(MAXIMUM), "multipleOf": 0.001}
    number.update({"exclusiveMinimum": 0} if positive else {"minimum": 0})
    numeral = {
        "type": "string",
        "pattern": POSITIVE_NUMERAL if positive else NON_NEGATIVE_NUMERAL,
        "description": "The same quantity as a decimal numeral, as the mobile app sends it",
    }
    inferred = ("type", "oneOf", "minimum", "exclusiveMinimum", "maximum", "multipleOf")
    return {**dict.fromkeys(inferred), "anyOf": [number, numeral, *unchanged]}


Quantity = Annotated[
    Decimal,
    BeforeValidator(_numeral),
    Field(max_digits=15, decimal_places=3, allow_inf_nan=False),
]
PositiveQuantity = Annotated[
    Quantity, Field(gt=0, json_schema_extra=quantity_schema(positive=True))
]
NonNegativeQuantity = Annotated[
    Quantity, Field(ge=0, json_schema_extra=quantity_schema(positive=False))
]


# A quantity as answered (`as_number`): the schema says number, where Litestar would infer
# integer or number.
Number = Annotated[
    int | float, msgspec.Meta(extra_json_schema={"extra": {"oneOf": None, "type": "number"}})
]


def as_number(value: Decimal) -> int | float:
    """10.000 → 10, 2.5 → 2.5: integers stay integers, as the 2023 API answered."""
    return int(value) if value == value.to_integral_value() else float(value)
