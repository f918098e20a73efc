"""Idempotency records: which number a client's key produced, claimed in the same
transaction as the provisioning itself."""

from datetime import datetime

from sqlalchemy import Connection, delete, select, update

from faxnum.store.dialect import insert_or_ignore
from faxnum.store.housekeeping import next_cursor, old_ids
from faxnum.store.tables import idempotency_keys


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

    def recorded(self, account_id: int, key: str) -> tuple[str, int | None] | None:
        row = self._db.execute(
            select(idempotency_keys.c.fingerprint, idempotency_keys.c.number_id).where(
                idempotency_keys.c.account_id == account_id, idempotency_keys.c.key == key
            )
        ).first()
        return None if row is None else (row.fingerprint, row.number_id)

    def complete(self, account_id: int, key: str, number_id: int) -> None:
        self._db.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.account_id == account_id, idempotency_keys.c.key == key)
            .values(number_id=number_id)
        )

    def recorded_order(self, account_id: int, key: str) -> tuple[str, int | None] | None:
        row = self._db.execute(
            select(idempotency_keys.c.fingerprint, idempotency_keys.c.order_id).where(
                idempotency_keys.c.account_id == account_id, idempotency_keys.c.key == key
            )
        ).first()
        return None if row is None else (row.fingerprint, row.order_id)

    def complete_order(self, account_id: int, key: str, order_id: int) -> None:
        self._db.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.account_id == account_id, idempotency_keys.c.key == key)
            .values(order_id=order_id)
        )

    def purge(self, before: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
        ids = old_ids(self._db, idempotency_keys, before, after_id, limit)
        if ids:
            self._db.execute(delete(idempotency_keys).where(idempotency_keys.c.id.in_(ids)))
        return len(ids), next_cursor(ids, limit)
