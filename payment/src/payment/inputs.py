"""The wire forms of payment's inputs: each validator here and the JSON Schema the OpenAPI
document publishes for it (contract.py) say the same thing.

The users service, payment's one caller, sends ids as JSON integers and amounts as plain decimal
strings. Payment has always also read ids as numeric strings and amounts as JSON numbers (or with
an exponent, `"1e-5"`): those tolerances are published as such (`oneOf`). Spellings that pydantic
or `Decimal` would also take but that no client sends and no contract could describe (`true` or
`"+5"`, `" 5"`, `"05"`, `"5_0"`, `"5.0"` for an id; `"1_0"` or non-ASCII digits in an amount) are
refused.

Patterns are read by ECMA-262 (the document's readers), Rust's regex (schemathesis' validator)
and Python's `re` (here), so they spell out their classes (no `\\s` or `\\d`) and use no
lookaround.

`BoundedRequest` refuses a JSON body nested deeper than `MAX_DEPTH` before it is decoded: py-evm
(eth-tester) raises the interpreter's recursion limit to 100 000 on import, so msgspec would
follow a 30 000-deep body (60 KB) down the C stack until the process crashed.
"""

import re
from typing import Any

from litestar.exceptions import ClientException

from payment.amounts import AmountError, parse_eth
from payment.protocol import JSONRequest

# Ids are Postgres bigints.
ID_MAX = 2**63 - 1


def numeral_up_to(limit: int) -> str:
    """A regex (unanchored) of the decimal numerals 1..limit, without leading zeros."""
    digits = str(limit)
    width = len(digits)
    parts = [f"[1-9][0-9]{{0,{width - 2}}}"] if width > 1 else []  # fewer digits
    for i, digit in enumerate(digits):  # as many digits: a prefix of limit, then a smaller digit
        low = "1" if i == 0 else "0"
        if digit > low:
            high = int(digit) - 1
            smaller = low if high == int(low) else f"[{low}-{high}]"
            rest = width - i - 1
            parts.append(digits[:i] + smaller + (f"[0-9]{{{rest}}}" if rest else ""))
    parts.append(digits)
    return "|".join(parts)


ID_NUMERAL = f"^({numeral_up_to(ID_MAX)})$"
_ID_NUMERAL = re.compile(ID_NUMERAL)
# What is left to the range check (and its message): an integer numeral, maybe negative.
_INTEGER_SYNTAX = re.compile(r"(0|-?[1-9][0-9]*)")

ID_SCHEMA: dict[str, Any] = {
    "oneOf": [
        {"type": "integer", "minimum": 1, "maximum": ID_MAX},
        {"type": "string", "pattern": ID_NUMERAL},
    ],
    "description": "A user id (1 to 2^63 - 1): a JSON integer, or its decimal numeral as a string",
}


def integer_id(value: object) -> object:
    """A BeforeValidator for ids: a JSON integer (never a boolean) or its plain numeral; the
    range is pydantic's check (and its message) after this one."""
    if isinstance(value, bool) or (isinstance(value, str) and not _INTEGER_SYNTAX.fullmatch(value)):
        raise ValueError("Input should be a valid integer, unable to parse string as an integer")
    return value


# The blanks JSON knows, allowed around an amount string (and dropped).
PAD = r"[\t\n\r ]*"
_MANTISSA = r"([0-9]+(\.[0-9]*)?|\.[0-9]+)"
_EXPONENT = r"([eE][+-]?[0-9]+)?"
# The code's first check: a decimal numeral, signed or not, maybe with an exponent. Its sign,
# zero, the decimals and the bounds are parse_eth's and the services' checks, with their words.
_DECIMAL_SYNTAX = re.compile(f"{PAD}[+-]?{_MANTISSA}{_EXPONENT}{PAD}")
_PLAIN_SYNTAX = re.compile(f"{PAD}[+-]?{_MANTISSA}{PAD}")
# Published: a positive numeral (a non-zero digit in its mantissa), maybe with an exponent.
POSITIVE_AMOUNT = rf"^{PAD}\+?(0*[1-9][0-9]*(\.[0-9]*)?|[0-9]*\.[0-9]*[1-9][0-9]*){_EXPONENT}{PAD}$"
# Published: a plain non-negative numeral of at most 18 decimals (a query's minimum amount).
MIN_AMOUNT = rf"^{PAD}\+?([0-9]+(\.[0-9]{{0,18}})?|\.[0-9]{{1,18}}){PAD}$"
DECIMAL_STRING = 'amount must be a decimal string such as "0.01"'

AMOUNT_SCHEMA: dict[str, Any] = {
    "oneOf": [
        {"type": "string", "pattern": POSITIVE_AMOUNT},
        {"type": "number", "exclusiveMinimum": 0},
    ],
    "description": (
        "ETH, more than 0 with at most 18 decimals (a 400 otherwise): a decimal string such as "
        '"0.01" (blanks around it are ignored, an exponent is read as the decimal it names: '
        '"1e-5" is 0.00001), or a JSON number, read as the decimal it prints as'
    ),
}


def wire_amount(value: object) -> object:
    """A BeforeValidator for amounts: a JSON number or a decimal string, then parse_eth."""
    if isinstance(value, str) and not _DECIMAL_SYNTAX.fullmatch(value):
        raise AmountError(DECIMAL_STRING)
    return parse_eth(value)


def plain_amount(value: str, allow_zero: bool = False) -> Any:
    """A plain decimal string (no exponent), as a query's minimum amount takes it."""
    if not _PLAIN_SYNTAX.fullmatch(value):
        raise AmountError(DECIMAL_STRING)
    return parse_eth(value, allow_zero=allow_zero)


# What Web3.is_address takes in a string: 40 hex digits, maybe after 0x, in any case (the
# address is checksummed once taken).
ADDRESS = r"^(0[xX])?[0-9a-fA-F]{40}$"
ADDRESS_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": ADDRESS,
    "description": "An Ethereum address: 40 hex digits after 0x, in any case",
}

# JSON bodies nest at most this deep (ours are flat: unknown fields are ignored, but decoded).
MAX_DEPTH = 32
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def nesting(body: bytes) -> int:
    """How deep the JSON text `body` nests its arrays and objects (brackets in strings aside;
    an unclosed one counts)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", body)):
        if bracket in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class BoundedRequest(JSONRequest):
    """The app's request class: a JSON body deeper than MAX_DEPTH is a 400, never decoded (the
    glue's JSONRequest, its base, answers a body too deep for the decoder)."""

    async def json(self) -> Any:
        if nesting(await self.body()) > MAX_DEPTH:
            raise ClientException(f"The JSON body nests deeper than {MAX_DEPTH} levels")
        return await super().json()
