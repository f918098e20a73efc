"""Writes whose outcome a use case never reads, sent together with its COMMIT.

Provisioning locks its payer's row with the balance update; every round trip after it
holds that lock, and every provisioning of the account tree waits on it. The ledger
entry and the live-number count need no answer, so they wait here and go with the
COMMIT: on PostgreSQL in one round trip (`postgres_pipeline`), so the lock is held for
one round trip instead of three. Their order is kept: they run after everything
the use case ran itself, still under its locks, so ledger ids follow commit order per
account as before. A failure among them fails the COMMIT, and nothing is kept.
"""

from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy import Connection

from faxnum.store.db.prepared import Prepared, run_and_commit


class _Transaction(Protocol):
    def commit(self) -> None: ...


class SentWithCommit:
    def __init__(self, connection: Connection) -> None:
        self._db = connection
        self._writes: list[tuple[Prepared, Mapping[str, Any]]] = []

    def add(self, statement: Prepared, values: Mapping[str, Any]) -> None:
        self._writes.append((statement, values))

    def commit(self, transaction: _Transaction) -> None:
        writes, self._writes = self._writes, []
        run_and_commit(self._db, writes, transaction)

    def forget(self) -> None:
        """The transaction rolls back: they never ran."""
        self._writes.clear()
