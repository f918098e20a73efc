"""Idempotency keys: which result a client key produced.
What the use cases need from storage for it."""

from datetime import datetime
from typing import Protocol

from faxnum.domain.idempotency import Outcome


class IdempotencyRepository(Protocol):
    def claim(
        self, account_id: int, key: str, fingerprint: str, now: datetime, expired_before: datetime
    ) -> bool:
        """True when this transaction owns the key; a concurrent claim waits for it."""
        ...

    def recorded(
        self, account_id: int, key: str, outcome: Outcome
    ) -> tuple[str, int | None] | None:
        """The key's fingerprint and the id of the `outcome` it made (None until its
        transaction settles); None when the key is not held."""
        ...

    def complete(self, account_id: int, key: str, outcome: Outcome, result_id: int) -> None: ...

    def purge(self, before: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
        """One batch of keys older than `before`, by id after `after_id`; how many went,
        and the next cursor (None when done)."""
        ...
