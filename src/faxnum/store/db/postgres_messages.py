"""PostgreSQL: hot statements prepared once per connection (`statement`), and the
transaction's BEGIN owed until its first statement: queued ahead of it in the same
round trip (`postgres_pipeline`), or sent on its own before any statement SQLAlchemy
runs itself (`owe_begin`). The driver runs in autocommit, so that psycopg sends no
BEGIN of its own.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import count
from typing import Any

from sqlalchemy import Connection, Engine, event

BEGIN_OWED = "faxnum.begin_owed"  # in a connection's info: BEGIN not sent yet
_CURSOR = "faxnum.begin_cursor"
_PLACEHOLDER = re.compile(r"%\(([^)]+)\)s")
_names = count(1)


@dataclass(frozen=True)
class Statement:
    """One compiled statement as PostgreSQL prepares and executes it."""

    name: bytes
    sql: bytes  # the statement with $n parameters
    names: tuple[str, ...]  # the parameters, in $n order


def statement(compiled_sql: str, escaped_names: Mapping[str, str]) -> Statement:
    """From SQLAlchemy's psycopg form (`%(name)s`, a literal % doubled)."""
    original = {escaped: name for name, escaped in escaped_names.items()}
    order: list[str] = []

    def numbered(found: re.Match[str]) -> str:
        name = original.get(found.group(1), found.group(1))
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    sql = _PLACEHOLDER.sub(numbered, compiled_sql).replace("%%", "%")
    return Statement(f"faxnum_{next(_names)}".encode(), sql.encode(), tuple(order))


# A statement, its values in `names` order, and whether it returns rows.
Sent = tuple[Statement, Sequence[Any], bool]


def settle_begin(connection: Connection) -> None:
    """Send the BEGIN the transaction owes, if it does: before a statement sent to the
    driver some other way."""
    if connection.info.pop(BEGIN_OWED, False):
        _cursor(connection).execute(begin_command(connection.connection.dbapi_connection))


def _cursor(connection: Connection) -> Any:
    """The connection's cursor for a BEGIN sent on its own, made once."""
    cursor = connection.info.get(_CURSOR)
    if cursor is None:
        driver: Any = connection.connection.dbapi_connection
        cursor = connection.info[_CURSOR] = driver.cursor()
    return cursor


def begin_command(driver: Any) -> str:
    """The BEGIN psycopg itself would send for the connection's settings."""
    words = ["BEGIN"]
    if driver.isolation_level is not None:
        words.append(f"ISOLATION LEVEL {driver.isolation_level.name.replace('_', ' ')}")
    if driver.read_only is not None:
        words.append("READ ONLY" if driver.read_only else "READ WRITE")
    return " ".join(words)


def owe_begin(engine: Engine) -> None:
    """`engine`'s connections in autocommit, each transaction's BEGIN owed to its first
    statement. Connections SQLAlchemy itself puts in autocommit (the AUTOCOMMIT
    isolation level) begin nothing; one it took out of autocommit lets psycopg begin."""

    @event.listens_for(engine, "connect")
    def _on_connect(driver: Any, _record: Any) -> None:
        driver.autocommit = True

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        driver: Any = connection.connection.dbapi_connection
        if not driver.autocommit:
            return
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return
        connection.info[BEGIN_OWED] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _on_statement(connection: Connection, *_: Any) -> None:
        settle_begin(connection)  # not on the statement's cursor: it may be a server-side one

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Connection) -> None:
        if not connection.invalidated:  # an invalidated one's info went with it
            connection.info.pop(BEGIN_OWED, None)
