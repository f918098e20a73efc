"""`faxnum backup FILE`: a consistent copy of the embedded store while it serves."""

from pathlib import Path
from typing import Annotated

import typer

from faxnum.cli.common import console, fail, load_settings, refuse_operator_file
from faxnum.store.db.backup import BackupRefused, backup_sqlite


def backup(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="Where to write the copy.")],
) -> None:
    """Copy the SQLite store, consistently, while servers keep running. To restore: stop
    the servers, put the copy in place of the database file (removing its -wal and -shm
    files), start them again."""
    settings = load_settings()
    refuse_operator_file(settings, file, "FILE")
    try:
        size = backup_sqlite(settings.effective_database_url, file)
    except BackupRefused as refused:
        raise fail(str(refused)) from None
    console.print(f"Backed up {settings.effective_database_url} to {file} ({size:,} bytes).")
