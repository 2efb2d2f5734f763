"""The typed inputs and their published schemas: what the wire accepts, stated once for the code
and the OpenAPI document alike.

Bodies are read tolerantly (the 2023 clients need it), and the tolerance is part of the
contract: each type here validates exactly what its published schema says.

- `text(lo, hi)`: a string, trimmed of Unicode white space (the set in `BLANKS`), then `lo` to
  `hi` characters long, with no NUL (Postgres cannot store one). Its schema is one `pattern`
  that says all of it about the string as sent.
- `integer(lo, hi)`: an integer from `lo` to `hi`, or its decimal digits as a string (blanks
  around and leading zeros allowed: `" 04"` is 4); never a boolean. Its schema is a `oneOf` of
  the integer and the string pattern of the same range.
- `free_text(hi)`: a string kept as sent, at most `hi` characters, no NUL.
- `Boolean`: a JSON boolean, never `0` or `"no"`.
- `nullable(schema)`: the same schema, or null; `optional(schema)` the default (None) of an
  optional field with that schema (Litestar documents a union's members without their
  metadata, so an optional field states its schema itself).

Patterns use only what ECMA-262 and Python's `re` read alike (classes, `\\uXXXX` escapes, no
`\\s`), so every client of the document reads the same language from them.
"""

import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

# Unicode White_Space: what the trimming of a text field removes (the same set pydantic's
# strip_whitespace removed, so what was accepted before still is).
BLANKS = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
_BLANK = r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# The digits of a numeric string: blanks around them are the JSON ones only.
_SPACE = r"[ \t\n\r]*"
_DIGITS = re.compile(_SPACE + r"([0-9]+)" + _SPACE)
NO_NUL = r"^[^\u0000]*$"
BLANK_PATTERN = rf"^[{_BLANK}]*$"  # nothing but white space (a unit left blank: none)


def strip_blanks(value: Any) -> Any:
    return value.strip(BLANKS) if isinstance(value, str) else value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("String should not contain NUL characters")
    return value


def text_pattern(lo: int, hi: int) -> str:
    """The pattern of a string whose trimmed text is `lo` to `hi` characters (lo >= 1)
    without NUL."""
    edge = rf"[^\u0000{_BLANK}]"  # the first and last characters of the text
    if lo >= 2:
        body = rf"{edge}[^\u0000]{{{lo - 2},{hi - 2}}}{edge}"
    else:
        body = rf"{edge}(?:[^\u0000]{{0,{hi - 2}}}{edge})?"
    return rf"^[{_BLANK}]*{body}[{_BLANK}]*$"


def _literal(name: str) -> str:
    """`name` as a regex: only the syntax characters escaped (ECMA's unicode mode refuses
    escapes of anything else, such as `\\ ` and `\\-`)."""
    return re.sub(r"([\\^$.|?*+()\[\]{}])", r"\\\1", name)


def names_pattern(names: Sequence[str]) -> str:
    """The pattern of one of `names`, with blanks around it (trimmed before the look-up)."""
    choices = "|".join(_literal(name) for name in sorted(names, key=lambda n: (-len(n), n)))
    return rf"^[{_BLANK}]*(?:{choices})[{_BLANK}]*$"


def text_schema(lo: int, hi: int) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": text_pattern(lo, hi),
        "minLength": lo,
        "maxLength": None,  # counted after trimming: the pattern says it
        "description": f"{lo} to {hi} characters once trimmed of white space; no NUL",
    }


def text(lo: int, hi: int) -> tuple[Any, ...]:
    """The metadata of a text field (see the module): `Annotated[str, *text(3, 40)]`."""
    return (
        BeforeValidator(strip_blanks),
        StringConstraints(min_length=lo, max_length=hi),
        AfterValidator(_no_nul),
        Field(json_schema_extra=text_schema(lo, hi)),
    )


def free_text(hi: int) -> tuple[Any, ...]:
    """The metadata of a free text kept as sent (a note): at most `hi` characters, no NUL."""
    return (
        StringConstraints(max_length=hi),
        AfterValidator(_no_nul),
        Field(json_schema_extra=free_text_schema(hi)),
    )


def free_text_schema(hi: int) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": NO_NUL,
        "maxLength": hi,
        "description": f"At most {hi} characters; no NUL",
    }


def _digit(a: int, b: int) -> str:
    return str(a) if a == b else f"[{a}-{b}]"


def digits_pattern(lo: int, hi: int) -> str:
    """A regex (no anchors) of the decimal numbers lo..hi without leading zeros (lo is 0 or 1)."""
    if lo not in (0, 1) or hi < lo:
        raise ValueError("ranges start at 0 or 1")
    top = str(hi)
    parts = ["0"] if lo == 0 else []
    if hi >= 1:
        # Fewer digits than hi: any such number.
        parts.extend(
            _digit(1, 9) + (f"[0-9]{{{width - 1}}}" if width > 1 else "")
            for width in range(1, len(top))
        )
        # As many digits as hi: hi's first i digits, a smaller digit, then any digits.
        for i, digit in enumerate(map(int, top)):
            floor = 1 if i == 0 else 0
            if digit > floor:
                rest = len(top) - i - 1
                parts.append(
                    top[:i] + _digit(floor, digit - 1) + (f"[0-9]{{{rest}}}" if rest else "")
                )
        parts.append(top)
    return "(?:" + "|".join(parts) + ")"


def numeric_pattern(lo: int, hi: int) -> str:
    """The pattern of a numeric string from lo to hi: JSON blanks around, leading zeros."""
    return f"^{_SPACE}0*{digits_pattern(lo, hi)}{_SPACE}$"


def integer_schema(lo: int, hi: int) -> dict[str, Any]:
    return {
        "type": None,
        "minimum": None,
        "maximum": None,
        "oneOf": [
            {"type": "integer", "minimum": lo, "maximum": hi},
            {
                "type": "string",
                "pattern": numeric_pattern(lo, hi),
                "description": f"The same integer ({lo} to {hi}) as decimal digits",
            },
        ],
    }


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema`, or null (for an optional field: Litestar puts a union's own schema aside)."""
    branches = schema.get("oneOf") or [{k: v for k, v in schema.items() if v is not None}]
    return {
        "type": None,
        "minimum": None,
        "maximum": None,
        "maxLength": None,
        "oneOf": [*branches, {"type": "null"}],
    }


def optional(schema: dict[str, Any]) -> Any:
    """The default of an optional field (None) with its schema: `schema` or null."""
    return Field(default=None, json_schema_extra=nullable(schema))


def integer(lo: int, hi: int) -> tuple[Any, ...]:
    """The metadata of an integer field that may arrive as a numeric string (see the module):
    `Annotated[int, *integer(0, 5)]`."""

    def read(value: Any) -> Any:
        if isinstance(value, bool):  # pydantic would read true as 1
            raise ValueError("Input should be an integer, not a boolean")
        if isinstance(value, str):
            found = _DIGITS.fullmatch(value)
            if found is None:
                raise ValueError("Input should be an integer or a string of decimal digits")
            digits = found.group(1).lstrip("0") or "0"
            # Longer than the largest bound is out of range: say so without parsing it.
            return int(digits) if len(digits) <= len(str(hi)) else hi + 1
        return value

    return (BeforeValidator(read), Field(ge=lo, le=hi, json_schema_extra=integer_schema(lo, hi)))


def _only_bool(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError("Input should be a JSON boolean (true or false)")
    return value


# A JSON boolean and nothing else (pydantic's lax mode, which Litestar asks for, reads 0, "no",
# "off"… as booleans, and overrides StrictBool).
Boolean = Annotated[bool, BeforeValidator(_only_bool)]
