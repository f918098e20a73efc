from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faxnum.domain.dates import add_months
from faxnum.domain.money import from_micros, parse_amount, to_micros


@given(
    st.decimals(
        min_value=-(10**9), max_value=10**9, places=6, allow_nan=False, allow_infinity=False
    )
)
def test_micros_round_trip_exactly(amount: Decimal) -> None:
    assert from_micros(to_micros(amount)) == amount


def test_sub_micro_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="decimal places"):
        to_micros(Decimal("0.0000001"))


@pytest.mark.parametrize("text", ["-1", "abc", "NaN", "Infinity", "", "1e", "0.0000001"])
def test_bad_amounts_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["3.495", "0.001", "1e-3", "1000000000.01", "1e30"])
def test_amounts_are_whole_cents_up_to_the_maximum(text: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        parse_amount(text)


def test_amounts_parse_exactly() -> None:
    assert parse_amount(" 100.10 ") == Decimal("100.10")
    assert to_micros(parse_amount("0.1")) + to_micros(parse_amount("0.2")) == to_micros(
        parse_amount("0.3")
    )


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 15), 1, date(2026, 2, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 12, 31), 1, date(2027, 1, 31)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected
