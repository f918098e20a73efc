"""Trunks: where numbers deliver.
What the use cases need from storage for it."""

from datetime import datetime
from typing import Protocol

from faxnum.domain.pagination import PageRequest
from faxnum.domain.trunks import Trunk, TrunkChanges


class TrunkRepository(Protocol):
    def add_trunk(
        self, account_id: int, name: str, uri: str | None, t38: bool, is_default: bool
    ) -> int: ...

    def get(self, trunk_id: int, account_id: int, lock: bool = False) -> Trunk | None:
        """One of the account's own live trunks; `lock`: the trunk cannot be deleted
        until this transaction ends."""
        ...

    def visible(self, trunk_id: int, viewer_id: int) -> Trunk | None:
        """A live trunk of the viewer or of one of its sub-accounts."""
        ...

    def page_for(self, viewer_id: int, wanted: PageRequest) -> tuple[list[Trunk], int]:
        """Oldest first: the viewer's live trunks and its sub-accounts'; and their total."""
        ...

    def count_held(self, account_id: int) -> int:
        """How many live trunks the account has. Until this transaction ends, no other
        transaction changes the account's trunks: concurrent changes of its default
        or additions past a limit are taken one after another."""
        ...

    def change(self, trunk_id: int, changes: TrunkChanges) -> bool: ...

    def clear_default(self, account_id: int) -> None: ...

    def delete(self, trunk_id: int, now: datetime) -> bool:
        """Never the default trunk, never twice (False then)."""
        ...
