"""PostgreSQL: hot statements sent several to a round trip in libpq's pipeline mode:
the BEGIN that opens the transaction with its first statement, the writes that wait
for the COMMIT (`SentWithCommit`) with the COMMIT.

psycopg's per-statement machinery (its cursors, its own pipeline) costs more of the
server's CPU than PostgreSQL's work on these statements (`bench/RESULTS.md`). Here the
values are converted by psycopg's `Transformer` and the statements queued on its libpq
connection directly, each a call into C: bound server-side (the extended protocol, as
pgbench's prepared mode) rather than quoted into SQL, each statement prepared once per
connection and kept by the session whatever becomes of the transaction that made it.
"""

from collections.abc import Sequence
from typing import Any

from psycopg import OperationalError, generators
from psycopg.adapt import PyFormat, Transformer
from psycopg.errors import error_from_result
from psycopg.pq import ExecStatus
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from faxnum.store.db.postgres_messages import BEGIN_OWED, Sent, begin_command
from faxnum.store.db.prepared import dropped_if_broken

_PREPARED = "faxnum.prepared"  # in a connection's info: names it prepared
_TRANSFORMER = "faxnum.transformer"
_TEXT = PyFormat.TEXT  # every value as text: the statement's casts give its type
_FAILED = ExecStatus.FATAL_ERROR
_SKIPPED = ExecStatus.PIPELINE_ABORTED  # after a failure, until the pipeline's sync


def run_together(
    connection: Connection,
    statements: Sequence[Sent],
    *,
    commit: bool = False,
) -> list[list[Any]]:
    """Each statement with its values (in `names` order) and whether it returns rows,
    in one round trip, after the BEGIN it owes and before the COMMIT if `commit`; the
    rows of each. Driver errors come out as SQLAlchemy's, as `Connection.execute`
    raises them."""
    if not connection.in_transaction():
        connection.begin()  # as `Connection.execute` would have (autobegin)
    info = connection.info
    driver: Any = connection.connection.dbapi_connection
    prepared: set[bytes] = info.setdefault(_PREPARED, set())
    transformer = _transformer(connection)
    try:
        # Every value converted before anything is queued: one psycopg refuses (text
        # with a NUL) leaves nothing sent, and the BEGIN still owed.
        values = [
            transformer.dump_sequence(given, [_TEXT] * len(given)) for _, given, _ in statements
        ]
        # Each once, however often the message carries it.
        missing = {each.name: each for each, _, _ in statements if each.name not in prepared}
        queued: list[tuple[str, Any]] = []  # what each result answers
        pgconn = driver.pgconn
        pgconn.enter_pipeline_mode()
        try:
            if info.pop(BEGIN_OWED, False):
                pgconn.send_query_params(begin_command(driver).encode(), None)
                queued.append(("begin", None))
            for each in missing.values():
                pgconn.send_prepare(each.name, each.sql)
                queued.append(("prepare", each.name))
            for (each, _, returns_rows), given in zip(statements, values, strict=True):
                pgconn.send_query_prepared(each.name, given)
                queued.append(("rows" if returns_rows else "statement", None))
            if commit:
                pgconn.send_query_params(b"COMMIT", None)
                queued.append(("commit", None))
            pgconn.pipeline_sync()
            results = _results(driver, len(queued))
        finally:
            _leave_pipeline(pgconn)
        return _rows(driver, transformer, queued, results, prepared)
    except connection.dialect.loaded_dbapi.Error as error:
        broken = dropped_if_broken(connection, error, None)
        raise DBAPIError.instance(
            "; ".join(each.sql.decode() for each, _, _ in statements),
            [given for _, given, _ in statements],
            error,
            connection.dialect.loaded_dbapi.Error,
            connection_invalidated=broken,
        ) from error


def _results(driver: Any, queued: int) -> list[Any]:
    """The result of each of the `queued` commands, once the pipeline is sent, up to
    its sync. Waiting releases the GIL, as psycopg's own waits do."""
    pgconn = driver.pgconn
    driver.wait(generators.send(pgconn))
    answers = [driver.wait(generators.fetch_many(pgconn)) for _ in range(queued)]
    driver.wait(generators.fetch_many(pgconn))  # the sync
    return [answer[-1] for answer in answers]


def _rows(
    driver: Any,
    transformer: Any,
    queued: Sequence[tuple[str, bytes | None]],
    results: Sequence[Any],
    prepared: set[bytes],
) -> list[list[Any]]:
    """Each statement's rows; the first failure raised as psycopg raises it, once the
    statements it prepared are noted (the session keeps them in any case)."""
    failure = None
    found: list[list[Any]] = []
    for (kind, name), result in zip(queued, results, strict=True):
        status = result.status
        if status == _FAILED:
            if failure is None:
                failure = result
        elif status == _SKIPPED:
            pass
        elif kind == "prepare":
            prepared.add(name)  # type: ignore[arg-type]  # a prepare's name is given
        elif kind == "statement":
            found.append([])
        elif kind == "rows":
            transformer.set_pgresult(result)
            found.append(transformer.load_rows(0, result.ntuples, tuple))
    if failure is not None:
        raise error_from_result(failure, encoding=driver.info.encoding)
    return found


def _leave_pipeline(pgconn: Any) -> None:
    """Out of pipeline mode, for psycopg's own use of the connection; one left with
    results unread (its wait interrupted) is closed, to be dropped as broken."""
    if not pgconn.pipeline_status:
        return
    try:
        pgconn.exit_pipeline_mode()
    except OperationalError:
        pgconn.finish()


def _transformer(connection: Connection) -> Any:
    """The connection's psycopg `Transformer`, made once: it keeps the adapters it
    looked up for each type."""
    transformer = connection.info.get(_TRANSFORMER)
    if transformer is None:
        driver = connection.connection.dbapi_connection
        transformer = connection.info[_TRANSFORMER] = Transformer(driver)  # type: ignore[arg-type]  # a psycopg connection
    return transformer
