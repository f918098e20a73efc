"""Idempotency records: which number a client's key produced, claimed in the same
transaction as the provisioning itself."""

from datetime import datetime

from sqlalchemy import Connection, delete, select, update

from faxnum.domain.idempotency import Outcome
from faxnum.store.db.dialect import insert_or_ignore
from faxnum.store.db.tables import idempotency_keys
from faxnum.store.housekeeping import next_cursor, old_ids

_RESULT_COLUMNS = {
    Outcome.NUMBER: idempotency_keys.c.number_id,
    Outcome.ORDER: idempotency_keys.c.order_id,
    Outcome.RESERVATION: idempotency_keys.c.reservation_id,
}


class IdempotencyQueries:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def claim(
        self, account_id: int, key: str, fingerprint: str, now: datetime, expired_before: datetime
    ) -> bool:
        """True when this transaction owns the key; False when someone already used it.

        A concurrent claim of the same key waits (PostgreSQL) or is serialised (SQLite)
        until the first one commits or rolls back, so exactly one of them does the work.
        """
        self._db.execute(
            delete(idempotency_keys).where(
                idempotency_keys.c.account_id == account_id,
                idempotency_keys.c.key == key,
                idempotency_keys.c.created_at < expired_before,
            )
        )
        claim = insert_or_ignore(self._db, idempotency_keys, "account_id", "key")
        claimed = self._db.execute(
            claim.values(
                account_id=account_id, key=key, fingerprint=fingerprint, created_at=now
            ).returning(idempotency_keys.c.id)
        ).first()
        return claimed is not None

    def recorded(
        self, account_id: int, key: str, outcome: Outcome
    ) -> tuple[str, int | None] | None:
        result = _RESULT_COLUMNS[outcome]
        row = self._db.execute(
            select(idempotency_keys.c.fingerprint, result).where(
                idempotency_keys.c.account_id == account_id, idempotency_keys.c.key == key
            )
        ).first()
        return None if row is None else (row[0], row[1])

    def complete(self, account_id: int, key: str, outcome: Outcome, result_id: int) -> None:
        self._db.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.account_id == account_id, idempotency_keys.c.key == key)
            .values({_RESULT_COLUMNS[outcome]: result_id})
        )

    def purge(self, before: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
        ids = old_ids(self._db, idempotency_keys, before, after_id, limit)
        if ids:
            self._db.execute(delete(idempotency_keys).where(idempotency_keys.c.id.in_(ids)))
        return len(ids), next_cursor(ids, limit)
