"""Quantities (objective, progress) on the wire: numbers or numeric strings in, JSON numbers out."""

from decimal import Decimal
from typing import Annotated

from pydantic import Field

# numeric(15, 3) in Postgres: up to 999 999 999 999.999, three decimals.
Quantity = Annotated[Decimal, Field(max_digits=15, decimal_places=3, allow_inf_nan=False)]
PositiveQuantity = Annotated[Quantity, Field(gt=0)]
NonNegativeQuantity = Annotated[Quantity, Field(ge=0)]


def as_number(value: Decimal) -> int | float:
    """10.000 → 10, 2.5 → 2.5: integers stay integers, as the 2023 API answered."""
    return int(value) if value == value.to_integral_value() else float(value)
