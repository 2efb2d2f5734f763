"""What the wire accepts, stated once for the code and for the OpenAPI document: path parameters
(ids fit a bigint), text as Postgres can store it (no NUL), and the patterns that describe the
tolerant reading of the mobile app's bodies (blanks around text and dates are ignored).

The patterns are written for every regex dialect a reader of the contract may use (ECMA-262,
Python's `re`, Rust's `regex`): explicit character classes, `[0-9]` rather than `\\d`, no
lookaround."""

from typing import Annotated

from litestar.openapi.spec import Example
from litestar.params import PathParameter

MAX_ID = 2**63 - 1
NO_NUL = r"^[^\x00]*$"

# What `str.strip()` removes (and `str.isspace()` calls blank): the Unicode White_Space
# characters plus the four information separators (U+001C-U+001F).
BLANK = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
BLANKS = f"[{BLANK}]*"
BLANK_TEXT = f"^{BLANKS}$"


def trimmed_text(max_length: int) -> str:
    """Text of 1 to `max_length` characters once the blanks around it are removed, no NUL."""
    edge = f"[^{BLANK}\\x00]"
    return f"^{BLANKS}{edge}(?:[^\\x00]{{0,{max_length - 2}}}{edge})?{BLANKS}$"


def padded(alternatives: str) -> str:
    """One of `alternatives` (a regex), with blanks around it."""
    return f"^{BLANKS}(?:{alternatives}){BLANKS}$"


# A calendar day YYYY-MM-DD from 0001-01-01 to 9999-12-31, leap years included: what
# `date.fromisoformat` reads from ten ASCII characters.
_YEAR = "(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_LEAP_DAY = f"{_LEAP_YEAR}-02-29"
DAY = f"{_YEAR}-{_MONTH_DAY}|{_LEAP_DAY}"


def _id(what: str) -> PathParameter:
    # The bound is written as an integer: as a float (what Litestar writes for `le`) it reads
    # 2**63, one more than a bigint holds.
    return PathParameter(ge=0, le=MAX_ID, description=what, schema_extra={"maximum": MAX_ID})


def at_most(bound: int) -> str:
    """A regex of the decimal numerals of 0 to `bound`, without leading zeros: one alternative
    per digit where a numeral first falls below `bound`'s."""
    digits = str(bound)
    shorter = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    below = []
    for position, digit in enumerate(digits):
        lowest = 1 if position == 0 else 0
        if int(digit) > lowest:
            rest = len(digits) - position - 1
            tail = f"[0-9]{{{rest}}}" if rest else ""
            below.append(f"{digits[:position]}[{lowest}-{int(digit) - 1}]{tail}")
    return "|".join(["0", *shorter, *below, digits])


UserId = Annotated[int, _id("The user's id")]
# A user's id written exactly (ASCII digits, no sign, no leading zero, a bigint): the internal
# routes refuse with a 400 what `int` would read otherwise ("1e3", "+5", " 5"), or a
# non-integer segment, which an `{id:int}` path answers 404.
EXACT_USER_ID = f"^(?:{at_most(MAX_ID)})$"
ExactUserId = Annotated[
    str,
    PathParameter(
        min_length=1,
        max_length=len(str(MAX_ID)),
        pattern=EXACT_USER_ID,
        description="The user's id: a decimal integer from 0 to 2**63 - 1, no leading zero",
        examples=[Example(value="5")],
    ),
]
GoalId = Annotated[int, _id("The goal's id")]
MetricPath = Annotated[
    str,
    PathParameter(
        min_length=1,
        max_length=64,
        pattern=NO_NUL,
        description="A metric name (`GET /goals/metrics`); any other is a 404",
        examples=[Example(value="distance")],
    ),
]
