"""WAL checkpoints off the request path keep the log short, even under writes that
never pause (SQLite rewinds its log only when a write begins with every frame copied,
which then never happens)."""

import threading
import time
from pathlib import Path

import pytest

from faxnum.store.db.checkpointer import Checkpointer
from faxnum.store.db.engine import make_engine, make_read_engine
from tests.conftest import sqlite_only

backend = pytest.fixture(sqlite_only)  # the subject is SQLite's write-ahead log
WRITES = 2_000
BOUND = 1_500_000  # bytes: the log after a rewind, not every write appended


def test_a_log_under_writes_without_pause_is_rewound(database_url: str) -> None:
    # As a server's: no checkpoint in the writer's commits, readers holding snapshots.
    engine = make_engine(database_url, writer=True, auto_checkpoint=False)
    read_engine = make_read_engine(engine, auto_checkpoint=False)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE filler (x BLOB)")
    checkpointer = Checkpointer(make_engine(database_url), interval_s=0.01, restart_frames=100)
    reading = threading.Event()

    def read_meanwhile() -> None:
        while not reading.is_set():
            with read_engine.connect() as connection:
                connection.exec_driver_sql("SELECT count(*) FROM filler").scalar_one()

    reader = threading.Thread(target=read_meanwhile)
    reader.start()
    try:
        for _ in range(WRITES):
            with engine.begin() as connection:
                connection.exec_driver_sql("INSERT INTO filler VALUES (randomblob(2000))")
            time.sleep(0.0005)  # a server's writer lets go of the lock between batches
    finally:
        reading.set()
        reader.join()
        checkpointer.close()
        read_engine.dispose()
        engine.dispose()

    log = Path(str(engine.url.database) + "-wal")
    assert log.stat().st_size < BOUND  # each write appended two pages (8 KB) or more
