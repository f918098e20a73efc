"""WAL checkpoints off the request path.

SQLite normally checkpoints inside the commit that crosses 1000 WAL pages, and that
commit (a request's) then waits for the copy and its fsyncs. A server instead turns
automatic checkpoints off and lets this thread checkpoint every interval; the sqlite3
module releases the GIL while SQLite works, so the event loop keeps serving meanwhile.
"""

import logging
import threading

from sqlalchemy import Engine

log = logging.getLogger(__name__)
CHECKPOINT_INTERVAL_S = 0.5


class Checkpointer:
    def __init__(self, engine: Engine, interval_s: float = CHECKPOINT_INTERVAL_S) -> None:
        self._engine = engine
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faxnum-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                with self._engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # a failed checkpoint is retried next interval; never fatal
                log.warning("WAL checkpoint failed", exc_info=True)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
