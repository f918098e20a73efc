"""DID inventory: the guarded state transitions that make double assignment impossible."""

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    ScalarSelect,
    Select,
    TextClause,
    Update,
    bindparam,
    literal,
    literal_column,
    select,
    text,
    tuple_,
    update,
)

from faxnum.domain.dates import as_utc
from faxnum.domain.did_states import DidEvent, transition
from faxnum.domain.money import from_micros
from faxnum.domain.numbers import (
    AgedCursor,
    Did,
    DidGroup,
    DidState,
    HeldDid,
    InventoryLine,
    NewDid,
)
from faxnum.store.db.dialect import insert_or_ignore
from faxnum.store.db.prepared import Prepared
from faxnum.store.db.tables import IN_STOCK, OUT_OF_STOCK, did_groups, dids
from faxnum.store.groups import group_by_id

_ASSIGN = transition(DidEvent.ASSIGN)
(_AVAILABLE,) = _ASSIGN.source_values


# A group's DIDs in stock, in number order: the order of their partial index.
BY_GROUP_NUMBER = (dids.c.did_group_id, dids.c.number)
# As text: SQLAlchemy would write a boolean column expression as `(...) = 1` for SQLite,
# which no longer matches the index's condition.
IN_STOCK_ONLY = text(IN_STOCK)
OUT_OF_STOCK_ONLY = text(OUT_OF_STOCK)


def in_stock_in_group(
    group_id: Any, numbers_from: Any = "", numbers_below: str | None = None
) -> tuple[ColumnElement[bool] | TextClause, ...]:
    """The DIDs in stock of one group, bounded so that only their (group, number)
    index can return them in `BY_GROUP_NUMBER` order.

    Written as `did_group_id = :g AND state = 'available' ORDER BY number`, PostgreSQL
    may instead walk the unique index on `number` and filter: it estimates the first
    match near the start whenever the group holds most DIDs, but the DIDs already
    taken are exactly the lowest numbers, so each take re-read all of them and grew
    slower with every DID taken.
    Two row comparisons bound the same rows; with no equality on the group, ordering
    by it and the number is something only that index provides. The stock condition
    is written as the index's own (`IN_STOCK`), so that the planner may use it.
    `numbers_from` (a number, or an expression giving one) and `numbers_below` narrow
    the range to numbers in [from, below)."""
    key = tuple_(*BY_GROUP_NUMBER)
    start = literal(numbers_from) if isinstance(numbers_from, str) else numbers_from
    lower = key >= tuple_(group_id, start)
    if numbers_below is not None:
        return IN_STOCK_ONLY, lower, key < tuple_(group_id, literal(numbers_below))
    return IN_STOCK_ONLY, lower, dids.c.did_group_id <= group_id


def stock_floor(group_id: Any) -> ScalarSelect[str]:
    """The group's stock floor: no DID of it in stock has a lower number."""
    return select(did_groups.c.stock_floor).where(did_groups.c.id == group_id).scalar_subquery()


def floor_in_range(connection: Connection) -> bool:
    """Whether a walk of a group's stock starts its index range at the group's floor,
    or only skips what is below it. PostgreSQL keeps the index entries of the DIDs
    taken until a VACUUM, and would step over them all. SQLite drops an entry as its
    row leaves the index's condition, so its walk starts at the stock anyway; nor can
    it start an index range at a subquery's value."""
    return connection.dialect.name == "postgresql"


def in_stock_from_floor(
    group_id: Any, floor: Any, in_range: bool
) -> tuple[ColumnElement[bool] | TextClause, ...]:
    """The DIDs in stock of one group from `floor` (its floor, or a column giving it)
    up, in the `in_stock_in_group` way; see `floor_in_range` for `in_range`."""
    if in_range:
        return in_stock_in_group(group_id, floor)
    return (*in_stock_in_group(group_id), dids.c.number >= floor)


def lowest_numbered_in_stock(group_id: Any, in_range: bool) -> Select[tuple[int]]:
    """The ids of a group's DIDs in stock from its floor up, lowest number first."""
    from_floor = in_stock_from_floor(group_id, stock_floor(group_id), in_range)
    return select(dids.c.id).where(*from_floor).order_by(*BY_GROUP_NUMBER)


def _lowest_in_stock(group_id: Any, floor: Any, in_range: bool) -> ScalarSelect[str]:
    from_floor = in_stock_from_floor(group_id, floor, in_range)
    query = select(dids.c.number).where(*from_floor).order_by(*BY_GROUP_NUMBER).limit(1)
    return query.scalar_subquery()


# A literal, not a parameter. PostgreSQL keeps one plan for a prepared statement only
# while that plan is not estimated costlier than one made for the values at hand; not
# knowing the limit, it costed the take's walk for a tenth of the group, and planned
# every take again (a sixth of its CPU per provisioning).
ONE = literal_column("1", Integer)


def _take(in_range: bool, skip_held: bool) -> Update:
    """The group's lowest available DID assigned; `skip_held`: unless another
    transaction holds it, else once its holder ends (PostgreSQL)."""
    group_id = bindparam("group_id", type_=dids.c.did_group_id.type)
    return (
        update(dids)
        .where(
            dids.c.id
            == lowest_numbered_in_stock(group_id, in_range)
            .limit(ONE)
            .with_for_update(skip_locked=skip_held)
            .scalar_subquery(),
            dids.c.state == _AVAILABLE,
        )
        .values(state=_ASSIGN.target.value, state_changed_at=bindparam("now"))
    )


# Built once: statement construction costs more than SQLite's execution of it.
TAKES = {skip_held: _take(True, skip_held) for skip_held in (True, False)}  # PostgreSQL's
_RETURNED = (dids.c.id, dids.c.number)
# By (floor_in_range, skip_held): SQLite neither starts at the floor nor skips.
_TAKE_AVAILABLE = {
    (True, True): Prepared(TAKES[True].returning(*_RETURNED)),
    (True, False): Prepared(TAKES[False].returning(*_RETURNED)),
    (False, False): Prepared(_take(False, False).returning(*_RETURNED)),
}


class StockHeldElsewhere(Exception):
    """A take that skipped the DIDs other transactions hold came back short while some
    of the group's stock was held so. Their holders may yet roll back (an order that
    finds it cannot pay) and leave those DIDs in stock: "none left" would be false.
    The use case runs again with its takes waiting for them. It never reaches a client."""


def refuse_short_take(connection: Connection, group_id: int, skipped_held: bool) -> None:
    """After a take that came back short: raise `StockHeldElsewhere` if it skipped
    DIDs of the group that other transactions hold. The take's own DIDs have left the
    stock in this transaction's view, so any DID still seen in stock is held elsewhere
    (or entered stock since; taking again finds it as well)."""
    if not skipped_held:  # it waited for every holder: what it found is the truth
        return
    in_stock = lowest_numbered_in_stock(group_id, floor_in_range(connection)).limit(1)
    if connection.execute(in_stock).first() is not None:
        raise StockHeldElsewhere(group_id)


_INVENTORY_LINES = select(
    dids.c.number,
    did_groups.c.country_code,
    did_groups.c.area_code,
    did_groups.c.city_name,
    did_groups.c.type,
    did_groups.c.setup_price_micros,
    did_groups.c.monthly_price_micros,
    dids.c.carrier_trunk,
    dids.c.state,
).join(did_groups, did_groups.c.id == dids.c.did_group_id)


def _line(row: Any) -> InventoryLine:  # a Row of _INVENTORY_LINES
    return InventoryLine(
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


class DidQueries:
    def __init__(self, connection: Connection, skip_held: bool = False) -> None:
        """`skip_held` (PostgreSQL): takes skip the DIDs other transactions hold, and a
        take that comes back short for it raises `StockHeldElsewhere`. Otherwise a take
        waits for their holders to end."""
        self._db = connection
        self._skip_held = skip_held and connection.dialect.name == "postgresql"

    def take_available(self, group_id: int, now: datetime) -> tuple[Did, DidGroup] | None:
        """Assign the lowest available DID of a group in one guarded statement; the DID
        and its group.

        PostgreSQL skips rows other transactions hold (SKIP LOCKED) or waits for
        them (see `__init__`); SQLite writers already hold the database write lock.
        Either way the `state = 'available'` guard means two transactions can never
        both win the same row. (Provisioning takes through
        `NumberQueries.add_from_group`, which on PostgreSQL makes the number in the
        same statement.)
        """
        taking = _TAKE_AVAILABLE[floor_in_range(self._db), self._skip_held]
        row = taking.first(self._db, {"group_id": group_id, "now": now})
        if row is None:
            refuse_short_take(self._db, group_id, self._skip_held)
            return None
        group = group_by_id(self._db, group_id)
        assert group is not None  # a DID's group outlives it (a foreign key)
        return Did(row.id, row.number), group

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
        query = _INVENTORY_LINES.order_by(dids.c.number).execution_options(yield_per=10_000)
        for row in self._db.execute(query):
            yield _line(row)

    def start_aging(self, did_id: int, now: datetime) -> bool:
        """A released DID rests before anyone else can get it (callers may still ring)."""
        return len(self.move([did_id], DidEvent.RELEASE, now)) == 1

    def recycle_aged(
        self, aged_before: datetime, now: datetime, after: AgedCursor | None, limit: int
    ) -> tuple[int, AgedCursor | None]:
        """One batch of DIDs that have aged enough back to available, oldest first from
        the cursor on; how many moved, and where the next batch starts (None: done)."""
        step = transition(DidEvent.RECYCLE)
        aged = (
            OUT_OF_STOCK_ONLY,  # the condition of the index that holds them
            dids.c.state.in_(step.source_values),
            dids.c.state_changed_at <= aged_before,
        )
        query = select(dids.c.id, dids.c.state_changed_at).where(*aged)
        if after is not None:
            query = query.where(tuple_(dids.c.state_changed_at, dids.c.id) > tuple_(*after))
        rows = self._db.execute(
            query.order_by(dids.c.state_changed_at, dids.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return 0, None
        changed = self._db.execute(
            update(dids)
            .where(dids.c.id.in_([row.id for row in rows]), *aged)
            .values(state=step.target.value, state_changed_at=now)
        )
        last = rows[-1]
        cursor = (as_utc(last.state_changed_at), int(last.id)) if len(rows) == limit else None
        return int(changed.rowcount), cursor

    def move(self, did_ids: Sequence[int], event: DidEvent, now: datetime) -> list[int]:
        """One guarded update: the DIDs that were in a source state of `event` move to
        its target; the ids that moved (any other was changed by someone else first)."""
        if not did_ids:
            return []
        if len(did_ids) > 1 and self._db.dialect.name == "postgresql":
            # Row locks in id order, as every multi-DID change takes them: two
            # transactions moving overlapping DIDs then never wait on each other in a circle.
            self._db.execute(
                select(dids.c.id)
                .where(dids.c.id.in_(did_ids))
                .order_by(dids.c.id)
                .with_for_update()
            )
        step = transition(event)
        rows = self._db.execute(
            update(dids)
            .where(dids.c.id.in_(did_ids), dids.c.state.in_(step.source_values))
            .values(state=step.target.value, state_changed_at=now)
            .returning(dids.c.id)
        )
        return [int(row.id) for row in rows]

    def lock_numbers(self, numbers: Sequence[str]) -> list[HeldDid]:
        """The DIDs with these numbers as they stand, locked until the transaction ends
        (PostgreSQL, in id order so that two transactions never wait on each other in
        a circle; an SQLite writer already holds the database)."""
        if not numbers:
            return []
        rows = self._db.execute(
            select(dids.c.id, dids.c.number, dids.c.did_group_id, dids.c.state)
            .where(dids.c.number.in_(numbers))
            .order_by(dids.c.id)
            .with_for_update()
        )
        return [HeldDid(row.id, row.number, row.did_group_id, DidState(row.state)) for row in rows]

    def take_from_group(
        self, group_id: int, quantity: int, event: DidEvent, now: datetime
    ) -> list[Did]:
        """Move the `quantity` lowest-numbered available DIDs of a group (fewer when the
        group has fewer; see `__init__` for those other transactions hold) by an event
        that takes DIDs from stock."""
        step = transition(event)
        assert step.source_values == (_AVAILABLE,), event
        # A CTE, run once: PostgreSQL may re-run an `IN (SELECT ... LIMIT n FOR UPDATE
        # SKIP LOCKED)` subquery per row and so update more than n rows.
        chosen = (
            lowest_numbered_in_stock(group_id, floor_in_range(self._db))
            .limit(quantity)
            .with_for_update(skip_locked=self._skip_held)
            .cte("chosen")
        )
        rows = self._db.execute(
            update(dids)
            .where(dids.c.id == chosen.c.id, dids.c.state.in_(step.source_values))
            .values(state=step.target.value, state_changed_at=now)
            .returning(dids.c.id, dids.c.number)
        )
        taken = sorted((Did(row.id, row.number) for row in rows), key=lambda did: did.number)
        if len(taken) < quantity:
            refuse_short_take(self._db, group_id, self._skip_held)
        return taken

    def groups_with_floor_behind(self) -> list[int]:
        floor = did_groups.c.stock_floor
        behind = floor < _lowest_in_stock(did_groups.c.id, floor, floor_in_range(self._db))
        query = select(did_groups.c.id).where(behind).order_by(did_groups.c.id)
        return list(self._db.execute(query).scalars())

    def raise_stock_floor(self, group_id: int) -> bool:
        # The group's row first: a DID entering stock locks it too, before it lowers
        # the floor (migration 0020), so the read below, a new statement with a new
        # snapshot, sees every DID in stock that can ever be committed below it.
        if self._db.dialect.name == "postgresql":
            self._db.execute(
                select(did_groups.c.id)
                .where(did_groups.c.id == group_id)
                .with_for_update(key_share=True)
            )
        in_range = floor_in_range(self._db)
        lowest = self._db.execute(
            select(_lowest_in_stock(group_id, stock_floor(group_id), in_range))
        ).scalar()
        if lowest is None:  # none in stock: the floor stays where it is
            return False
        raised = self._db.execute(
            update(did_groups)
            .where(did_groups.c.id == group_id, did_groups.c.stock_floor < lowest)
            .values(stock_floor=lowest)
        )
        return bool(raised.rowcount)

    def in_state(self, state: DidState, after_number: str, limit: int) -> list[InventoryLine]:
        """DIDs in one state, in number order, from just after `after_number` on."""
        query = (
            _INVENTORY_LINES.where(dids.c.state == state.value, dids.c.number > after_number)
            .order_by(dids.c.number)
            .limit(limit)
        )
        return [_line(row) for row in self._db.execute(query)]
