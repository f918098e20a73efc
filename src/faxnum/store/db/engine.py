"""Engines: SQLite in WAL mode (writes BEGIN IMMEDIATE) or PostgreSQL via psycopg 3."""

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from faxnum.store.db.postgres_messages import owe_begin

SQLITE_BUSY_TIMEOUT_MS = 15_000
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024
READER_CACHE_KIB = 256


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(
    url: str, *, writer: bool = False, auto_checkpoint: bool = True, foreign_keys: bool = True
) -> Engine:
    """An engine for `url`. SQLite writers take the write lock when they begin,
    so a transaction never fails half-way on a lock upgrade. Without
    `auto_checkpoint`, WAL checkpoints are left to a `Checkpointer`. Migrations turn
    `foreign_keys` off: SQLite alters a table by copying it, which enforcement breaks."""
    if not is_sqlite(url):
        # No ping on each checkout: it is a round trip before every transaction. A
        # connection found broken is replaced and its use case run again instead
        # (`database.run_fresh_if_broken`).
        # psycopg prepares nothing itself: the hot statements are prepared by
        # `postgres_pipeline`, and psycopg would deallocate its own at a ROLLBACK.
        engine = create_engine(
            url, pool_size=10, max_overflow=10, connect_args={"prepare_threshold": None}
        )
        owe_begin(engine)
        return engine
    return _sqlite_engine(url, writer, auto_checkpoint, foreign_keys, read_only=False)


def make_read_engine(write_engine: Engine, *, auto_checkpoint: bool = True) -> Engine:
    """The engine of `write_engine`'s database for reads alone: its transactions are
    read-only, so a read can be ended with COMMIT (see `SqlUnitOfWork`) knowing it
    changed nothing. On PostgreSQL it shares the writer's pool of connections."""
    url = write_engine.url
    if url.get_backend_name() != "sqlite":
        return write_engine.execution_options(postgresql_readonly=True)
    return _sqlite_engine(
        url.render_as_string(hide_password=False),
        False,
        auto_checkpoint,
        foreign_keys=True,
        read_only=True,
    )


def _sqlite_engine(
    url: str, writer: bool, auto_checkpoint: bool, foreign_keys: bool, *, read_only: bool
) -> Engine:
    database = make_url(url).database
    private_file = None
    if database and database != ":memory:":
        private_file = Path(database)
        private_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = create_engine(url, connect_args={"check_same_thread": False})
    _configure_sqlite(
        engine,
        "IMMEDIATE" if writer else "DEFERRED",
        auto_checkpoint,
        foreign_keys,
        private_file,
        read_only,
    )
    return engine


def _configure_sqlite(
    engine: Engine,
    begin: str,
    auto_checkpoint: bool,
    foreign_keys: bool,
    private_file: Path | None,
    read_only: bool,
) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if private_file is not None:
            # Before the WAL exists: SQLite gives -wal and -shm the database's own mode.
            os.chmod(private_file, 0o600)
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk (the WAL fsynced) before it is answered, so an OS
        # crash or power loss keeps it; group commit makes that one fsync per batch.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if not auto_checkpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        # A log rewound to its start is cut back to this size (see `Checkpointer`).
        cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")
        if read_only:
            cursor.execute("PRAGMA query_only=1")
            cursor.execute(f"PRAGMA cache_size=-{READER_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(f"BEGIN {begin}")
