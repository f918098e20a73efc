"""Money as exact decimals; storage uses integer micro-units so sums never drift."""

from decimal import Decimal, InvalidOperation

MICROS_PER_UNIT = 1_000_000
MAX_AMOUNT = Decimal(10**9)  # far inside 64-bit micro-units, whatever is summed
_MICRO = Decimal("0.000001")


def to_micros(amount: Decimal) -> int:
    """Convert an exact amount to micro-units, refusing sub-micro precision."""
    scaled = amount * MICROS_PER_UNIT
    if scaled != scaled.to_integral_value():
        raise ValueError(f"amount {amount} has more than 6 decimal places")
    return int(scaled)


def from_micros(micros: int) -> Decimal:
    return (Decimal(micros) / MICROS_PER_UNIT).quantize(_MICRO).normalize()


def parse_amount(text: str) -> Decimal:
    """Parse a user-given amount such as '100.10'; finite, non-negative, <= 6 decimals."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal amount: {text!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"amount must be a non-negative number: {text!r}")
    if amount > MAX_AMOUNT:
        raise ValueError(f"amount must be at most {MAX_AMOUNT}: {text!r}")
    to_micros(amount)
    return amount
