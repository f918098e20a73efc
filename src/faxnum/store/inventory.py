"""DID inventory: the guarded state transitions that make double assignment impossible."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update

from faxnum.domain.numbers import Did, DidState
from faxnum.store.tables import dids

_AVAILABLE = DidState.AVAILABLE.value
# Built once: statement construction costs more than SQLite's execution of it.
_TAKE_AVAILABLE = (
    update(dids)
    .where(
        dids.c.id
        == select(dids.c.id)
        .where(dids.c.did_group_id == bindparam("group_id"), dids.c.state == _AVAILABLE)
        .order_by(dids.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery(),
        dids.c.state == _AVAILABLE,
    )
    .values(state=DidState.ASSIGNED.value, state_changed_at=bindparam("now"))
    .returning(dids.c.id, dids.c.number)
)


class DidQueries:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def take_available(self, group_id: int, now: datetime) -> Did | None:
        """Assign the lowest available DID of a group in one guarded statement.

        PostgreSQL skips rows other transactions hold (SKIP LOCKED); SQLite writers
        already hold the database write lock. Either way the `state = 'available'`
        guard means two transactions can never both win the same row.
        """
        row = self._db.execute(_TAKE_AVAILABLE, {"group_id": group_id, "now": now}).first()
        return None if row is None else Did(row.id, row.number)

    def existing_numbers(self, numbers: Sequence[str]) -> set[str]:
        found = self._db.execute(select(dids.c.number).where(dids.c.number.in_(numbers))).scalars()
        return set(found)

    def add_available(self, group_id: int, numbers: Sequence[str], now: datetime) -> None:
        if numbers:
            self._db.execute(
                insert(dids),
                [
                    {
                        "did_group_id": group_id,
                        "number": n,
                        "state": _AVAILABLE,
                        "state_changed_at": now,
                    }
                    for n in numbers
                ],
            )
