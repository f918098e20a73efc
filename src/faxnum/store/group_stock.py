"""The available stock of DID groups, as the triggers of migration 0011 keep it.

Every insert, delete or state change of a DID adjusts `did_group_stock` in its own
transaction, so reading a group's stock costs a few index entries whatever the
inventory holds. The triggers are not in `tables.metadata`: a later migration that
rebuilds `dids` (batch mode) must create them again.
"""

from typing import Any

from sqlalchemy import Connection, ScalarSelect, delete, func, insert, literal, select

from faxnum.domain.numbers import DidState
from faxnum.store.db.tables import did_group_stock, did_groups, dids

# PostgreSQL's rows per group (a DID counts in row `id % STOCK_SHARDS`); SQLite's is 1.
STOCK_SHARDS = 16
STOCK_TRIGGERS = {
    "sqlite": ("dids_stock_insert", "dids_stock_delete", "dids_stock_leave", "dids_stock_enter"),
    "postgresql": ("dids_stock_insert", "dids_stock_delete", "dids_stock_update"),
}


def stock_of_group() -> ScalarSelect[Any]:
    """The available DIDs of the `did_groups` row of the enclosing query."""
    return (
        select(func.coalesce(func.sum(did_group_stock.c.available), 0))
        .where(did_group_stock.c.did_group_id == did_groups.c.id)
        .scalar_subquery()
    )


def recount(connection: Connection) -> None:
    """Count every group's stock again from `dids`: for bulk loads that set the
    triggers aside (a per-row trigger costs more than one grouped count at the end)."""
    shard: Any = literal(0) if connection.dialect.name == "sqlite" else dids.c.id % STOCK_SHARDS
    counted = (
        select(dids.c.did_group_id, shard, func.count())
        .where(dids.c.state == DidState.AVAILABLE.value)
        .group_by(dids.c.did_group_id, shard)
    )
    connection.execute(delete(did_group_stock))
    connection.execute(
        insert(did_group_stock).from_select(["did_group_id", "shard", "available"], counted)
    )
