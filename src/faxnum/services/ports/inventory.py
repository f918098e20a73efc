"""Inventory: the DIDs and the moves between their states.
What the use cases need from storage for it."""

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from faxnum.domain.did_states import DidEvent
from faxnum.domain.numbers import (
    AgedCursor,
    Did,
    DidGroup,
    DidState,
    HeldDid,
    InventoryLine,
    NewDid,
)


class DidRepository(Protocol):
    def take_available(self, group_id: int, now: datetime) -> tuple[Did, DidGroup] | None:
        """Assign the lowest available DID of the group, and give it with the group (as
        the catalogue has it); no two transactions win one DID. None: no DID left, or
        no such group."""
        ...

    def add_missing(self, new: Sequence[NewDid], now: datetime) -> int:
        """Insert the DIDs whose number is not in inventory yet; how many were new."""
        ...

    def inventory(self) -> Iterator[InventoryLine]:
        """Every DID in number order, streamed."""
        ...

    def start_aging(self, did_id: int, now: datetime) -> bool: ...

    def recycle_aged(
        self, aged_before: datetime, now: datetime, after: AgedCursor | None, limit: int
    ) -> tuple[int, AgedCursor | None]:
        """One batch of aged DIDs back in stock; how many, and the next cursor (None
        when the batch was the last)."""
        ...

    def move(self, did_ids: Sequence[int], event: DidEvent, now: datetime) -> list[int]:
        """One guarded update along `event`'s transition; the ids that moved."""
        ...

    def lock_numbers(self, numbers: Sequence[str]) -> list[HeldDid]:
        """The DIDs with these numbers as they stand, locked to the end of the transaction."""
        ...

    def take_from_group(
        self, group_id: int, quantity: int, event: DidEvent, now: datetime
    ) -> list[Did]:
        """Move up to `quantity` of the group's lowest DIDs along `event`'s transition."""
        ...

    def in_state(self, state: DidState, after_number: str, limit: int) -> list[InventoryLine]: ...

    def groups_with_floor_behind(self) -> list[int]:
        """The groups whose stock floor is below their lowest number in stock: the
        takes from them step over the DIDs in between first."""
        ...

    def raise_stock_floor(self, group_id: int) -> bool:
        """Raise the group's stock floor to its lowest number in stock, as committed:
        never past a DID entering stock in a transaction still open. Whether it rose."""
        ...
