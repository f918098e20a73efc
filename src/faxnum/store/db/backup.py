"""A consistent copy of the embedded SQLite store while servers keep writing to it.

SQLite's online backup copies the database page by page; a write that lands meanwhile
restarts the copy of what changed, so the result is the database as of one moment. It
copies in steps, pausing between them, so that no writer waits long on it.
"""

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from faxnum.store.db.engine import is_sqlite

PAGES_PER_STEP = 4096
PAUSE_S = 0.005


class BackupRefused(ValueError):
    pass


def backup_sqlite(url: str, target: Path) -> int:
    """Write the store at `url` to `target` (mode 0600, replaced atomically); its size."""
    if not is_sqlite(url):
        raise BackupRefused(
            "backup copies the embedded SQLite store; for PostgreSQL use pg_dump or its "
            "continuous archiving"
        )
    source_path = make_url(url).database
    if not source_path or not Path(source_path).exists():
        raise BackupRefused(f"there is no database at {source_path}")
    if target.resolve() == Path(source_path).resolve():
        raise BackupRefused("the backup cannot be the database itself")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy, pages=PAGES_PER_STEP, sleep=PAUSE_S)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        if copy.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            raise BackupRefused("the copy failed its integrity check; try again")
    finally:
        copy.close()
        source.close()
    os.replace(partial, target)
    return target.stat().st_size
