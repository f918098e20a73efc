"""Statements whose spelling differs between SQLite and PostgreSQL."""

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Date, String, Table, cast, func, literal
from sqlalchemy.dialects import sqlite

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql


def insert_or_ignore(
    connection: Connection, table: Table, *conflict_columns: str
) -> "postgresql.Insert | sqlite.Insert":
    """INSERT ... ON CONFLICT (columns) DO NOTHING in the connection's own dialect.
    PostgreSQL's dialect is imported only on PostgreSQL (2 MB a SQLite worker keeps)."""
    columns = list(conflict_columns)
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table).on_conflict_do_nothing(index_elements=columns)
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=columns)


def days_before(connection: Connection, day: Any, days: Any) -> Any:
    """The date `days` (an integer expression) before the date expression `day`."""
    if connection.dialect.name == "postgresql":
        return cast(day - days, Date)
    return func.date(day, literal("-").concat(cast(days, String)).concat(" days"), type_=Date)


def utc_day(connection: Connection, moment: Any) -> Any:
    """The UTC calendar day of a timestamp column, as text `YYYY-MM-DD`."""
    if connection.dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", moment), "YYYY-MM-DD")
    return func.substr(moment, 1, 10)  # stored as UTC text, `YYYY-MM-DD HH:MM:SS...`
