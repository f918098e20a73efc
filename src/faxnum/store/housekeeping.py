"""Old rows removed a batch per transaction, so a clean-up never holds SQLite's one
write lock (or many PostgreSQL row locks) for longer than one small batch takes."""

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, func, select

# A 32-bit id bound: ids grow with time, so rows past the first newer one are never read.
_NO_NEWER = 2**31


def old_ids(
    connection: Connection,
    table: Table,
    before: datetime,
    after_id: int,
    limit: int,
    *also: ColumnElement[bool],
) -> list[int]:
    """Up to `limit` ids of `table` rows created before `before`, in id order after
    `after_id` (a cursor, so that a run whose deletes roll back still ends)."""
    ids: Any = table.c.id
    created: Any = table.c.created_at
    newer = select(ids).where(created >= before).order_by(ids).limit(1).scalar_subquery()
    query = (
        select(ids)
        .where(ids > after_id, ids < func.coalesce(newer, _NO_NEWER), created < before, *also)
        .order_by(ids)
        .limit(limit)
    )
    return [int(found) for found in connection.execute(query).scalars()]


def next_cursor(ids: list[int], limit: int) -> int | None:
    """Where the next batch starts; None once a batch came back short (nothing left)."""
    return ids[-1] if len(ids) == limit else None
