"""ETH amounts: decimal strings on the wire, integer wei inside."""

from decimal import Decimal, InvalidOperation, localcontext

WEI_PER_ETH = 10**18


class AmountError(ValueError):
    pass


def parse_eth(value: object, allow_zero: bool = False) -> Decimal:
    """A positive (or, if allowed, zero) decimal ETH amount with at most 18 decimals (numbers
    and strings accepted)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise AmountError('amount must be a decimal string such as "0.01"')
    text = str(value).strip() if not isinstance(value, float) else repr(value)
    try:
        amount = Decimal(text)
    except InvalidOperation as error:
        raise AmountError('amount must be a decimal string such as "0.01"') from error
    if not amount.is_finite():
        raise AmountError("amount must be a finite number")
    if amount.is_signed() or (amount == 0 and not allow_zero):  # -0 too
        raise AmountError("amount must be greater than zero")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -18:
        raise AmountError("amount has more than 18 decimals")
    return amount


def to_wei(amount: Decimal) -> int:
    with localcontext() as context:
        context.prec = 100
        return int(amount * WEI_PER_ETH)


def format_eth(wei: int) -> str:
    """Plain decimal notation, never exponents: 10**13 wei → "0.00001"."""
    with localcontext() as context:
        context.prec = 100
        text = format(Decimal(wei) / WEI_PER_ETH, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
