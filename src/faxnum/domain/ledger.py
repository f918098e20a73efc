"""Money movements as the account sees them."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    created_at: datetime
    kind: str  # credit, charge, renewal
    description: str
    amount: Decimal  # positive credits, negative charges
    number_id: int | None
