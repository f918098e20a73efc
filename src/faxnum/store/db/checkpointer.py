"""WAL checkpoints off the request path.

SQLite normally checkpoints inside the commit that crosses 1000 WAL pages, and that
commit (a request's) then waits for the copy and its fsyncs. A server instead turns
automatic checkpoints off and lets this thread checkpoint every interval; the sqlite3
module releases the GIL while SQLite works, so the event loop keeps serving meanwhile.
"""

import logging
import threading

from sqlalchemy import Engine

from faxnum.store.db.engine import SQLITE_BUSY_TIMEOUT_MS

log = logging.getLogger(__name__)
CHECKPOINT_INTERVAL_S = 0.5
# A log this long is taken back to its start. SQLite rewinds the log only when a write
# begins with every frame already copied, which under writes without a pause never
# happens: the log grew by a third of a gigabyte every ten seconds of provisioning, and
# every read and write slowed with it.
RESTART_FRAMES = 16_384  # 64 MiB of 4 KiB pages
# How long a restart may wait for the write lock and for readers of older snapshots;
# it holds the write lock while it waits for those readers, so it gives up early and
# tries again at the next interval.
RESTART_WAIT_MS = 50


class Checkpointer:
    def __init__(
        self,
        engine: Engine,
        interval_s: float = CHECKPOINT_INTERVAL_S,
        restart_frames: int = RESTART_FRAMES,
    ) -> None:
        self._engine = engine
        self._interval_s = interval_s
        self._restart_frames = restart_frames
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faxnum-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.checkpoint()
            except Exception:  # a failed checkpoint is retried next interval; never fatal
                log.warning("WAL checkpoint failed", exc_info=True)

    def checkpoint(self) -> None:
        """Copy the log into the database; rewind a long log. Outside any transaction,
        on the driver's connection: a checkpoint in a transaction keeps a snapshot."""
        with self._engine.connect() as connection:
            driver = connection.connection.dbapi_connection
            assert driver is not None  # connected
            _, frames, _ = driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if frames >= self._restart_frames:
                driver.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
                try:
                    driver.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                finally:
                    driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
