"""Input types whose validation and published JSON Schema say the same thing.

Bodies are read tolerantly, as the 2023 clients expect (numbers may be numeric strings, e-mails
may carry the spaces a phone keyboard adds), but only as tolerantly as the schema says: pydantic's
own lax coercions (`"yes"` for true, `1e2` or `"7_0"` for numbers, a Unix time for a date) are
refused here, because no client sends them and no contract could describe them. Each type pairs
its validator with the JSON Schema that `contract.py` publishes for the request bodies.
"""

import re
from collections.abc import Callable
from datetime import date
from typing import Any

# Patterns are read three ways (ECMA-262 by the contract's readers, Rust's regex by pydantic and
# by schemathesis' validator), so they spell out their classes: no \s, \w or \d, whose meanings
# differ between the three.

# Controls, spaces and the other blanks: what an e-mail address never holds.
BLANKS = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# Letters of any script, with their combining accents.
LETTER = r"[\p{L}\p{M}]"

# Spaces around a value (a phone keyboard adds them) are allowed, and dropped once it is checked.
PAD = r"[\t\n\v\f\r ]*"

# No store takes a NUL (Postgres refuses it): free text says so in its pattern.
NO_NUL = r"^[^\x00]*$"

# A JSON integer id (the bigint range) or its decimal spelling; as a string, at most 18 digits.
ID_NUMERAL = r"^[1-9][0-9]{0,17}$"
ID_MAX = 2**63 - 1


def number_or_numeral(numeral: str, what: str) -> Callable[[object], object]:
    """A BeforeValidator: a JSON number (never a boolean), or a string matching `numeral`."""
    spelled = re.compile(numeral)

    def check(value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"{what} must be a number or a numeric string")
        if isinstance(value, str) and not spelled.fullmatch(value):
            raise ValueError(f"{what} must be a number or a numeric string within range")
        return value

    return check


def number_or_numeral_schema(
    number: dict[str, Any], numeral: str, description: str
) -> dict[str, Any]:
    return {
        "oneOf": [number, {"type": "string", "pattern": numeral}],
        "description": f"{description}; a numeric string is accepted too",
    }


def integer_id(value: object) -> object:
    """A BeforeValidator for ids: a JSON integer, or its decimal spelling (ID_NUMERAL)."""
    return number_or_numeral(ID_NUMERAL, "an id")(value)


ID_SCHEMA = number_or_numeral_schema(
    {"type": "integer", "minimum": 1, "maximum": ID_MAX}, ID_NUMERAL, "an id"
)


def strict_number(value: object) -> object:
    """A BeforeValidator: a JSON number, never a boolean or a string."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    return value


def strip(value: str) -> str:
    """An AfterValidator: the spaces around a value are dropped once it has been checked."""
    return value.strip()


# "YYYY-MM-DD" only (pydantic would also take a Unix time or a datetime at midnight).
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def iso_date(value: object) -> object:
    if isinstance(value, date) or (isinstance(value, str) and ISO_DATE.fullmatch(value)):
        return value
    raise ValueError('must be a date written "YYYY-MM-DD"')


def past_date_pattern(today: date) -> str:
    """Dates from 1900-01-01 to the end of last year, by the calendar of month lengths (February
    up to the 29th: the `format: date` next to it rules out a 29th in a common year). The code
    accepts any past date: this year's are left out of the pattern so that it never admits a date
    the code refuses, however long the process runs."""
    last = today.year - 1
    years = _years(1900, last)
    month_days = (
        r"(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
        r"|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
        r"|02-(0[1-9]|1[0-9]|2[0-9])"
    )
    return rf"^({years})-({month_days})$"


def _years(first: int, last: int) -> str:
    """A regex alternation matching the four-digit years first..last (first ≤ last)."""
    parts: list[str] = []
    year = first
    while year <= last:
        # The widest aligned block (a decade, a century) that starts here and fits.
        for size in (1000, 100, 10, 1):
            if year % size == 0 and year + size - 1 <= last:
                break
        digits = str(year)
        fixed = 4 - len(str(size)) + 1
        parts.append(digits[:fixed] + "[0-9]" * (4 - fixed))
        year += size
    return "|".join(parts)
