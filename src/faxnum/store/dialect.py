"""Statements whose spelling differs between SQLite and PostgreSQL."""

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_or_ignore(
    connection: Connection, table: Table, *conflict_columns: str
) -> postgresql.Insert | sqlite.Insert:
    """INSERT ... ON CONFLICT (columns) DO NOTHING in the connection's own dialect."""
    columns = list(conflict_columns)
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=columns)
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=columns)
