"""PostgreSQL: hot statements sent as `EXECUTE` of statements each connection prepared
once, several to a message: the BEGIN that opens the transaction with its first
statement, the writes that wait for the COMMIT (`SentWithCommit`) with the COMMIT.

psycopg's per-statement machinery costs more of the server's CPU than PostgreSQL's
work on these statements, and its pipeline mode costs more than the round trips it
saves (`bench/RESULTS.md`). One simple-query message costs one cursor call however
many statements it carries; the values go as literals that psycopg quotes
(`ClientCursor`), and the plans stay on the server (`PREPARE`, kept by the session
whatever becomes of the transaction that made it).

The driver runs in autocommit, and the transaction's BEGIN is owed until its first
statement: sent ahead of it in the same message, or on its own before any statement
SQLAlchemy runs itself (`owe_begin`).
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import count
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import DBAPIError

BEGIN_OWED = "faxnum.begin_owed"  # in a connection's info: BEGIN not sent yet
_PREPARED = "faxnum.prepared"  # in a connection's info: names it prepared
_CURSOR = "faxnum.client_cursor"
_IDLE = 0  # libpq's PQTRANS_IDLE: no transaction open
_PLACEHOLDER = re.compile(r"%\(([^)]+)\)s")
_names = count(1)


@dataclass(frozen=True)
class Statement:
    """One compiled statement as PostgreSQL prepares and executes it."""

    name: str
    prepare: str  # PREPARE name AS ... (the statement with $n parameters)
    execute: str  # EXECUTE name(%s, ...), for psycopg to fill
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
    name = f"faxnum_{next(_names)}"
    arguments = f"({', '.join(['%s'] * len(order))})" if order else ""
    return Statement(name, f"PREPARE {name} AS {sql}", f"EXECUTE {name}{arguments}", tuple(order))


# A statement, its values in `names` order, and whether it returns rows.
Sent = tuple[Statement, Sequence[Any], bool]


def run_together(
    connection: Connection,
    statements: Sequence[Sent],
    *,
    commit: bool = False,
) -> list[list[Any]]:
    """Each statement with its values (in `names` order) and whether it returns rows,
    in one message, after the BEGIN it owes and before the COMMIT if `commit`; the raw
    rows of each. Driver errors come out as SQLAlchemy's, as `Connection.execute`
    raises them."""
    if not connection.in_transaction():
        connection.begin()  # as `Connection.execute` would have (autobegin)
    info = connection.info
    driver: Any = connection.connection.dbapi_connection
    cursor = _client_cursor(connection)
    prepared: set[str] = info.setdefault(_PREPARED, set())
    parts: list[str] = []
    values: list[Any] = []
    begins = False
    try:
        missing = {s.name: s.prepare for s, _, _ in statements if s.name not in prepared}
        if missing:
            # On their own, so that what the session holds is exactly what succeeded.
            cursor.execute("; ".join(missing.values()))
            prepared.update(missing)
        begins = info.pop(BEGIN_OWED, False)
        if begins:
            parts.append(begin_command(driver))
        first = len(parts)
        for each, given, _ in statements:
            parts.append(each.execute)
            values.extend(given)
        if commit:
            parts.append("COMMIT")
        cursor.execute("; ".join(parts), values or None)
        found: list[list[Any]] = []
        for _ in range(first):
            cursor.nextset()
        for position, (_, _, returns_rows) in enumerate(statements):
            if position:
                cursor.nextset()
            found.append(cursor.fetchall() if returns_rows else [])
        return found
    except connection.dialect.loaded_dbapi.Error as error:
        if begins and driver.info.transaction_status == _IDLE:
            # Refused before anything was sent (a value psycopg cannot quote): the
            # BEGIN is still owed, or the transaction's next statements would each
            # be kept on their own.
            info[BEGIN_OWED] = True
        broken = connection.dialect.is_disconnect(error, driver, cursor)
        if broken:
            connection.invalidate(error)
        raise DBAPIError.instance(
            "; ".join(parts), values, error, connection.dialect.loaded_dbapi.Error,
            connection_invalidated=broken,
        ) from error  # fmt: skip


def settle_begin(connection: Connection) -> None:
    """Send the BEGIN the transaction owes, if it does: before a statement sent to the
    driver some other way."""
    if connection.info.pop(BEGIN_OWED, False):
        _client_cursor(connection).execute(begin_command(connection.connection.dbapi_connection))


def _client_cursor(connection: Connection) -> Any:
    """The connection's cursor for messages, made once (each fetches all it returns
    before the next is sent)."""
    cursor = connection.info.get(_CURSOR)
    if cursor is None:
        from psycopg import ClientCursor  # PostgreSQL's only

        driver: Any = connection.connection.dbapi_connection
        cursor = connection.info[_CURSOR] = ClientCursor(driver)
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
