"""Trunks of an account; deleted ones stay for the released numbers that name them."""

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from faxnum.domain.pagination import PageRequest
from faxnum.domain.trunks import Trunk, TrunkChanges
from faxnum.store.account_lock import hold_account
from faxnum.store.db.tables import accounts, trunks
from faxnum.store.pages import count, oldest_first

_COLUMNS = (
    trunks.c.id,
    trunks.c.account_id,
    trunks.c.name,
    trunks.c.uri,
    trunks.c.t38,
    trunks.c.is_default,
)


_VISIBLE = select(*_COLUMNS).join(accounts, accounts.c.id == trunks.c.account_id)


def _seen_by(viewer_id: int) -> tuple[Any, ...]:
    """A live trunk of the viewer or of one of its sub-accounts."""
    return (
        or_(trunks.c.account_id == viewer_id, accounts.c.parent_id == viewer_id),
        trunks.c.deleted_at.is_(None),
    )


class TrunkQueries:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add_trunk(
        self, account_id: int, name: str, uri: str | None, t38: bool, is_default: bool
    ) -> int:
        return int(
            self._db.execute(
                insert(trunks)
                .values(account_id=account_id, name=name, uri=uri, t38=t38, is_default=is_default)
                .returning(trunks.c.id)
            ).scalar_one()
        )

    def get(self, trunk_id: int, account_id: int, lock: bool = False) -> Trunk | None:
        """One of the account's live trunks; `lock`: kept from being deleted until the
        transaction ends (PostgreSQL; an SQLite writer holds the database anyway)."""
        query = select(*_COLUMNS).where(
            trunks.c.id == trunk_id,
            trunks.c.account_id == account_id,
            trunks.c.deleted_at.is_(None),
        )
        if lock:
            query = query.with_for_update(read=True)
        row = self._db.execute(query).first()
        return None if row is None else Trunk(*row)

    def visible(self, trunk_id: int, viewer_id: int) -> Trunk | None:
        row = self._db.execute(
            _VISIBLE.where(trunks.c.id == trunk_id, *_seen_by(viewer_id))
        ).first()
        return None if row is None else Trunk(*row)

    def page_for(self, viewer_id: int, wanted: PageRequest) -> tuple[list[Trunk], int]:
        seen = _seen_by(viewer_id)
        total = count(self._db, trunks.join(accounts, accounts.c.id == trunks.c.account_id), *seen)
        rows = self._db.execute(oldest_first(_VISIBLE.where(*seen), trunks.c.id, wanted))
        return [Trunk(*row) for row in rows], total

    def count_held(self, account_id: int) -> int:
        """PostgreSQL: the account row stays locked to the end of the transaction (an
        SQLite writer holds the whole database already)."""
        hold_account(self._db, account_id)
        return int(
            self._db.execute(
                select(func.count())
                .select_from(trunks)
                .where(trunks.c.account_id == account_id, trunks.c.deleted_at.is_(None))
            ).scalar_one()
        )

    def change(self, trunk_id: int, changes: TrunkChanges) -> bool:
        values = {
            name: value
            for name, value in (
                ("name", changes.name),
                ("uri", changes.uri),
                ("t38", changes.t38),
                ("is_default", changes.is_default),
            )
            if value is not None
        }
        if not values:
            return True
        changed = self._db.execute(
            update(trunks)
            .where(trunks.c.id == trunk_id, trunks.c.deleted_at.is_(None))
            .values(**values)
        )
        return changed.rowcount == 1

    def clear_default(self, account_id: int) -> None:
        """Before another trunk becomes the default (one per account, by index)."""
        self._db.execute(
            update(trunks)
            .where(trunks.c.account_id == account_id, trunks.c.is_default)
            .values(is_default=False)
        )

    def delete(self, trunk_id: int, now: datetime) -> bool:
        """Guarded: never the default trunk, never twice."""
        changed = self._db.execute(
            update(trunks)
            .where(
                trunks.c.id == trunk_id,
                trunks.c.deleted_at.is_(None),
                trunks.c.is_default.is_(False),
            )
            .values(deleted_at=now)
        )
        return changed.rowcount == 1
