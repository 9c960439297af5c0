"""Integer money in minor units, and its display. No floats touch amounts."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from crowdset.errors import InvalidInput


def format_amount(minor: int, decimals: int, currency: str = "") -> str:
    """``format_amount(12345, 2, "credit") == "123.45 credit"``."""
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**decimals)
    text = f"{sign}{whole:,}" + (f".{frac:0{decimals}d}" if decimals else "")
    return f"{text} {currency}".strip()


def parse_amount(text: str, decimals: int) -> int:
    """Parse ``"12.5"`` credits into minor units (1250 at 2 decimals); refuse finer fractions."""
    try:
        value = Decimal(text.strip().replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise InvalidInput(
            f"amount {text!r} is not a number: write it like 12 or 12.50", value=text
        ) from None
    minor = value * (10**decimals)
    if minor != minor.to_integral_value():
        raise InvalidInput(
            f"amount {text!r} has more than {decimals} decimals", value=text, decimals=decimals
        )
    return int(minor)
