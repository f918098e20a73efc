"""DID inventory: the guarded state transitions that make double assignment impossible."""

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

from faxnum.domain.money import from_micros
from faxnum.domain.numbers import Did, DidState, InventoryLine, NewDid
from faxnum.store.dialect import insert_or_ignore
from faxnum.store.tables import did_groups, dids

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

    def add_missing(self, new: Sequence[NewDid], now: datetime) -> int:
        """Insert the DIDs not already in inventory (by number); how many were new."""
        if not new:
            return 0
        statement = insert_or_ignore(self._db, dids, "number").returning(dids.c.id)
        rows = [
            {
                "did_group_id": d.group_id,
                "number": d.number,
                "carrier_trunk": d.carrier_trunk,
                "state": d.state.value,
                "state_changed_at": now,
            }
            for d in new
        ]
        # Counted from RETURNING: executemany row counts are not reliable across drivers.
        return len(self._db.execute(statement, rows).all())

    def inventory(self) -> Iterator[InventoryLine]:
        """Every DID with its group's defining fields, streamed in number order."""
        query = (
            select(
                dids.c.number,
                did_groups.c.country_code,
                did_groups.c.area_code,
                did_groups.c.city_name,
                did_groups.c.type,
                did_groups.c.setup_price_micros,
                did_groups.c.monthly_price_micros,
                dids.c.carrier_trunk,
                dids.c.state,
            )
            .join(did_groups, did_groups.c.id == dids.c.did_group_id)
            .order_by(dids.c.number)
            .execution_options(yield_per=10_000)
        )
        for row in self._db.execute(query):
            yield InventoryLine(
                row.number,
                row.country_code,
                row.area_code,
                row.city_name,
                row.type,
                from_micros(row.setup_price_micros),
                from_micros(row.monthly_price_micros),
                row.carrier_trunk,
                row.state,
            )

    def start_aging(self, did_id: int, now: datetime) -> bool:
        """A released DID rests before anyone else can get it (callers may still ring)."""
        changed = self._db.execute(
            update(dids)
            .where(dids.c.id == did_id, dids.c.state == DidState.ASSIGNED.value)
            .values(state=DidState.AGING.value, state_changed_at=now)
        )
        return changed.rowcount == 1

    def recycle_aged(self, aged_before: datetime, now: datetime) -> int:
        changed = self._db.execute(
            update(dids)
            .where(dids.c.state == DidState.AGING.value, dids.c.state_changed_at <= aged_before)
            .values(state=_AVAILABLE, state_changed_at=now)
        )
        return int(changed.rowcount)
