"""Statements on the hot path, run on the driver's cursor without SQLAlchemy's
per-call machinery.

SQLAlchemy Core builds an execution context, looks up its compiled cache, builds and
processes parameters, fires events and sets up a result object on every call, which
costs more than SQLite's own work on these statements. A `Prepared` statement is
compiled by SQLAlchemy once per dialect and set of parameter names, with its parameter
and result conversions taken from the same types, and then costs one cursor call.
Driver errors come out as SQLAlchemy's own exceptions, so callers (the PostgreSQL
retry, the group commit) see what `Connection.execute` would have raised.
On PostgreSQL a statement is prepared by each connection once, and several are sent
in one round trip (`postgres_pipeline`).
"""

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect, RootTransaction
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable, ReturnsRows

from faxnum.store.db import postgres_messages

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Form:
    """One statement compiled for one dialect and one set of parameter names."""

    sql: str
    names: tuple[str, ...]  # in the order the driver takes them (positional styles)
    positional: bool
    # Per name, in that order: given by the caller (else a literal the statement
    # carries), the literal, and the type's conversion for the driver.
    plan: tuple[tuple[bool, Any, Processor], ...]
    result_processors: tuple[Processor, ...] | None  # None: no column needs one
    row_type: Any
    plain: Callable[[Mapping[str, Any]], Any] | None  # the values in order, if that is all
    postgres: postgres_messages.Statement | None  # PostgreSQL's: how it is prepared and sent

    def parameters(self, values: Mapping[str, Any]) -> Any:
        if self.plain is not None:  # every value given, none converted
            found = self.plain(values)
            return (found,) if len(self.names) == 1 else found
        converted = []
        for name, (given, literal, processor) in zip(self.names, self.plan, strict=True):
            value = values[name] if given else literal
            converted.append(value if processor is None or value is None else processor(value))
        return converted if self.positional else dict(zip(self.names, converted, strict=True))

    def sent(self, values: Mapping[str, Any]) -> postgres_messages.Sent:
        """The statement as `postgres_pipeline.run_together` sends it (PostgreSQL's)."""
        assert self.postgres is not None
        return self.postgres, self.parameters(values), bool(self.row_type._fields)

    def rows(self, raw: Sequence[Any]) -> list[Any]:
        make = self.row_type._make
        processors = self.result_processors
        if processors is None:
            return [make(r) for r in raw]
        return [
            make(p(v) if p is not None else v for p, v in zip(processors, r, strict=True))
            for r in raw
        ]


def _row_type(names: list[str]) -> Any:
    """A tuple type with the statement's column names, readable like SQLAlchemy's rows
    (`row.name`, `row._mapping`)."""
    base = namedtuple("Row", names, rename=True)  # type: ignore[misc]  # names known at run time
    return type("Row", (base,), {"__slots__": (), "_mapping": property(lambda r: r._asdict())})


class Prepared:
    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._forms: dict[tuple[str, ...], _Form] = {}  # by dialect and parameter names

    def form(self, dialect: Dialect, values: Mapping[str, Any]) -> _Form:
        key = (dialect.name, *values)
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = _compile(self.statement, dialect, sorted(values))
        return form

    def rows(self, connection: Connection, values: Mapping[str, Any]) -> list[Any]:
        """Every row the statement returns (none for a statement returning none)."""
        dialect = connection.dialect
        form = self.form(dialect, values)
        if form.postgres is not None:
            from faxnum.store.db import postgres_pipeline  # psycopg: PostgreSQL's only

            return form.rows(postgres_pipeline.run_together(connection, [form.sent(values)])[0])
        if not connection.in_transaction():
            connection.begin()  # as `Connection.execute` would have (autobegin)
        cursor = _cursor(connection)
        try:
            cursor.execute(form.sql, form.parameters(values))
            # Only a statement that names its columns returns rows: a SELECT or a
            # RETURNING. (Asking the cursor's `description` builds its column objects
            # on every call.)
            raw = cursor.fetchall() if form.row_type._fields else []
        except dialect.loaded_dbapi.Error as error:
            broken = dropped_if_broken(connection, error, cursor)
            raise DBAPIError.instance(
                form.sql, values, error, dialect.loaded_dbapi.Error, connection_invalidated=broken
            ) from error
        return form.rows(raw)

    def run(self, connection: Connection, values: Mapping[str, Any]) -> None:
        """A statement returning nothing."""
        self.rows(connection, values)

    def first(self, connection: Connection, values: Mapping[str, Any]) -> Any | None:
        rows = self.rows(connection, values)
        return rows[0] if rows else None


def run_and_commit(
    connection: Connection, writes: list[tuple[Prepared, Mapping[str, Any]]], transaction: Any
) -> None:
    """Statements returning nothing, then the transaction's COMMIT: on PostgreSQL all in
    one round trip (`transaction.commit()` then finds nothing left to send). A savepoint's
    end is no COMMIT: its writes run first, on their own."""
    dialect = connection.dialect
    if writes and dialect.name == "postgresql" and isinstance(transaction, RootTransaction):
        from faxnum.store.db import postgres_pipeline  # psycopg: PostgreSQL's only

        sent = [statement.form(dialect, values).sent(values) for statement, values in writes]
        postgres_pipeline.run_together(connection, sent, commit=True)
    else:
        for statement, values in writes:
            statement.run(connection, values)
    transaction.commit()


def dropped_if_broken(connection: Connection, error: Any, cursor: Any) -> bool:
    """Whether `error` says the server closed the connection; then, as
    `Connection.execute` would, the connection is dropped, and every other the pool
    held since before it is made afresh at its next checkout: what closed one (a
    restart, a failover) closed them all, and a use case run again (`database`) would
    otherwise meet the next of them."""
    dbapi_connection = connection.connection.dbapi_connection
    if not connection.dialect.is_disconnect(error, dbapi_connection, cursor):
        return False
    connection.engine.pool._invalidate(connection.connection, error)
    connection.invalidate(error)
    return True


def _cursor(connection: Connection) -> Any:
    """The driver connection's cursor for prepared statements, made once: each statement
    fetches all its rows before the next runs, so one cursor serves them all."""
    info = connection.connection.info
    cursor = info.get(_CURSOR)
    if cursor is None:
        cursor = info[_CURSOR] = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # open while connected
    return cursor


_CURSOR = "faxnum.prepared.cursor"


def _compile(statement: Executable, dialect: Dialect, keys: list[str]) -> _Form:
    compiled: Any = statement.compile(dialect=dialect, column_keys=keys)  # type: ignore[attr-defined]  # every Executable here is a ClauseElement
    binds = compiled.binds
    postgres = None
    if dialect.name == "postgresql":
        postgres = postgres_messages.statement(compiled.string, compiled.escaped_bind_names)
        names = postgres.names
    else:
        names = tuple(compiled.positiontup) if compiled.positional else tuple(binds)
    positional = compiled.positional or postgres is not None
    missing = [n for n in names if n not in keys and binds[n].required and binds[n].value is None]
    if missing:
        raise ValueError(f"values missing for {missing}")
    plan = tuple(
        (
            name in keys,
            binds[name].effective_value,
            binds[name].type.dialect_impl(dialect).bind_processor(dialect),
        )
        for name in names
    )
    columns = statement.exported_columns if isinstance(statement, ReturnsRows) else None
    result = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in (columns or ())
    )
    row_type = _row_type(list(columns.keys()) if columns else [])
    needed = result if any(p is not None for p in result) else None
    as_given = positional and all(given and not p for given, _, p in plan)
    plain = itemgetter(*names) if as_given and names else None
    return _Form(compiled.string, names, positional, plan, needed, row_type, plain, postgres)
