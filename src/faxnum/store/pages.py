"""A listing's page and its total, written once for every repository.

Ids only grow, so ordering by id is ordering by creation, and an index on the id (or
ending in it) gives a page in order without sorting what the account can see."""

from typing import Any, TypeVar

from sqlalchemy import Connection, FromClause, Select, func, select
from sqlalchemy.sql.elements import ColumnElement

from faxnum.domain.pagination import PageRequest

Query = TypeVar("Query", bound=Select[Any])


def newest_first(query: Query, id_column: ColumnElement[int], wanted: PageRequest) -> Query:
    return query.order_by(id_column.desc()).limit(wanted.limit).offset(wanted.offset)


def oldest_first(query: Query, id_column: ColumnElement[int], wanted: PageRequest) -> Query:
    return query.order_by(id_column).limit(wanted.limit).offset(wanted.offset)


def count(db: Connection, source: FromClause, *where: ColumnElement[bool]) -> int:
    """How many rows of `source` a listing holds, every page together."""
    return int(db.execute(select(func.count()).select_from(source).where(*where)).scalar_one())


def page_ids(
    db: Connection, id_column: ColumnElement[int], visible: ColumnElement[bool], wanted: PageRequest
) -> list[int]:
    """A page's ids, newest first, from an index alone: the joins that give their
    details are then made for one page, not for every row the account can see."""
    return list(
        db.execute(newest_first(select(id_column).where(visible), id_column, wanted)).scalars()
    )
