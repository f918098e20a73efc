"""Orders: several numbers provisioned as one all-or-nothing unit."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from faxnum.domain.errors import Invalid
from faxnum.domain.numbers import ProvisionedNumber

MAX_ORDER_QUANTITY = 500
MAX_ORDER_NUMBERS = 500


@dataclass(frozen=True)
class NumbersWanted:
    """Chosen numbers (E.164), all of which must be available."""

    numbers: tuple[str, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        twice = [n for n in self.numbers if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
        if twice:
            raise Invalid.field("numbers", f"lists {twice[0]} more than once")
        if not self.numbers:
            raise Invalid.field("numbers", "must list at least one number")


@dataclass(frozen=True)
class QuantityWanted:
    """Any `quantity` numbers of one DID group: the lowest available ones."""

    group_id: int
    quantity: int


@dataclass(frozen=True)
class ReservationWanted:
    """Every number of one of the caller's active reservations."""

    reservation_id: int


Wanted = NumbersWanted | QuantityWanted | ReservationWanted


@dataclass(frozen=True)
class Order:
    id: int
    account_id: int
    created_at: datetime
    numbers: tuple[ProvisionedNumber, ...]
    total_charged: Decimal
