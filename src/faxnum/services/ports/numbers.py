"""Numbers: an account's holdings of DIDs.
What the use cases need from storage for it."""

from datetime import date, datetime
from typing import Protocol

from faxnum.domain.numbers import (
    Did,
    DidGroup,
    DueCursor,
    DueNumber,
    NumberListing,
    ProvisionedNumber,
)
from faxnum.domain.pagination import PageRequest


class NumberRepository(Protocol):
    def add_number(
        self,
        account_id: int,
        did_id: int,
        group_id: int,
        trunk_id: int,
        now: datetime,
        expires: date,
        order_id: int | None = None,
    ) -> int: ...

    def add_from_group(
        self, account_id: int, group_id: int, trunk_id: int, now: datetime, expires: date
    ) -> tuple[int, Did, DidGroup] | None:
        """The group's lowest available DID taken (`DidRepository.take_available`) and
        made a number of the account (`add_number`): the number's id, the DID and its
        group; None when the group has no DID left or does not exist."""
        ...

    def provisioned(self, number_id: int) -> ProvisionedNumber | None: ...

    def due(self, today: date, after: DueCursor | None, limit: int) -> list[DueNumber]:
        """Up to `limit` live numbers expired by `today`, by (expiration date, id)
        after the cursor."""
        ...

    def expiring(self, today: date, after_id: int, limit: int) -> list[DueNumber]:
        """Live numbers within their holder's warning days of expiry, not yet warned
        for this paid period, whose holder or its parent has an enabled endpoint."""
        ...

    def mark_expiring_sent(self, number_id: int, expiration_date: date) -> bool: ...

    def extend(self, number_id: int, paid_until: date, new_expiration: date) -> bool:
        """Move the paid period on unless someone already did (False then)."""
        ...

    def mark_expired(self, number_id: int) -> bool: ...

    def release(self, number_id: int, now: datetime) -> bool: ...

    def page_for(self, account_id: int, wanted: PageRequest) -> tuple[list[NumberListing], int]:
        """Newest first: the account's live numbers and its sub-accounts'; and their total."""
        ...

    def visible(self, number_id: int, viewer_id: int) -> NumberListing | None:
        """One live number of the viewer or of one of its sub-accounts."""
        ...

    def set_trunk(self, number_id: int, trunk_id: int) -> bool: ...

    def count_on_trunk(self, trunk_id: int) -> int: ...

    def of_order(self, order_id: int) -> list[ProvisionedNumber]: ...
