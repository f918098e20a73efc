"""Billing: the ledger of credits and charges.
What the use cases need from storage for it."""

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from faxnum.domain.ledger import LedgerEntry
from faxnum.domain.pagination import PageRequest


class LedgerRepository(Protocol):
    def add_entry(
        self,
        account_id: int,
        amount: Decimal,
        kind: str,
        description: str,
        now: datetime,
        number_id: int | None = None,
        actor_id: int | None = None,
    ) -> None: ...

    def page_for(self, account_id: int, wanted: PageRequest) -> tuple[list[LedgerEntry], int]:
        """Newest first: entries on the account's money and those it caused on its parent's."""
        ...
