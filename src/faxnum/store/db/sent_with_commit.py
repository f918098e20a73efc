"""Writes whose outcome a use case never reads, sent together with its COMMIT.

Provisioning locks its payer's row with the balance update; every round trip after it
holds that lock, and every provisioning of the account tree waits on it. The ledger
entry and the live-number count need no answer, so they wait here and go with the
COMMIT: on PostgreSQL in one round trip (psycopg's pipeline mode), so the lock is held
for one round trip instead of three. Their order is kept: they run after everything
the use case ran itself, still under its locks, so ledger ids follow commit order per
account as before. A failure among them fails the COMMIT, and nothing is kept.
"""

from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy import Connection

from faxnum.store.db.prepared import Prepared


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
        if writes and self._db.dialect.name == "postgresql":
            driver_connection: Any = self._db.connection.dbapi_connection
            try:
                with driver_connection.pipeline():
                    self._run(writes)
                    transaction.commit()
            except BaseException:
                self._end_failed_transaction(driver_connection)
                raise
            return
        self._run(writes)
        transaction.commit()

    def forget(self) -> None:
        """The transaction rolls back: they never ran."""
        self._writes.clear()

    def _end_failed_transaction(self, driver_connection: Any) -> None:
        """After a failed COMMIT in a pipeline the server still holds the transaction
        as aborted (what follows an error in a pipeline is skipped, SQLAlchemy's own
        ROLLBACK with it), and the connection went back to the pool that way: its next
        use (a retry of this very use case after a deadlock, say) failed
        (`tests/integration/test_sent_with_commit.py`)."""
        from psycopg.pq import TransactionStatus  # PostgreSQL's only

        if driver_connection.info.transaction_status == TransactionStatus.IDLE:
            return
        try:
            driver_connection.rollback()
        except Exception:  # noqa: BLE001  # the connection is gone: never reuse it
            self._db.invalidate()

    def _run(self, writes: list[tuple[Prepared, Mapping[str, Any]]]) -> None:
        for statement, values in writes:
            statement.run(self._db, values)
