"""Whether anything was committed to the SQLite store since a moment: SQLite's
`PRAGMA data_version`, read on a connection of its own that never writes, changes
whenever any other connection, in this process or another, commits. A couple of
microseconds a look, so an answer built from the store may be kept until then."""

import sqlite3
from pathlib import Path


class CommitWatch:
    def __init__(self, database_file: str) -> None:
        self._file = database_file
        self._connection: sqlite3.Connection | None = None

    def version(self) -> int:
        if self._connection is None:
            uri = Path(self._file).resolve().as_uri() + "?mode=ro"
            self._connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        found: tuple[int] = self._connection.execute("PRAGMA data_version").fetchone()
        return found[0]

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
