"""Money as exact decimals; storage uses integer micro-units so sums never drift."""

from decimal import Decimal, InvalidOperation

MICROS_PER_UNIT = 1_000_000
MAX_AMOUNT = Decimal(10**9)  # far inside 64-bit micro-units, whatever is summed
CENT = Decimal("0.01")
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
    """Parse a user-given amount such as '100.10': finite, from 0 to MAX_AMOUNT, in whole
    cents (balances are shown in cents: a fraction would show one amount and spend
    another)."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal amount: {text!r}") from exc
    check_amount(amount)
    return amount


def check_amount(amount: Decimal) -> None:
    """An amount a person may give: a finite number of whole cents, 0 to MAX_AMOUNT."""
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"amount must be a non-negative number: {amount}")
    if amount > MAX_AMOUNT:
        raise ValueError(f"amount must be at most {MAX_AMOUNT}: {amount}")
    if amount != amount.quantize(CENT):
        raise ValueError(f"amount must be in whole cents: {amount}")


def balance_after(balance: Decimal, delta: Decimal, floor: Decimal = Decimal(0)) -> Decimal | None:
    """A balance never goes below zero, nor a voluntary spend below the money promised
    to live holds (`floor`): the balance a change leaves, or None when it is refused.
    A credit is never refused."""
    after = balance + delta
    return None if delta < 0 and after < floor else after
