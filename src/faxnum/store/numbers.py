"""Numbers (an account's holdings) and the money ledger."""

from datetime import date, datetime

from sqlalchemy import Connection, insert

from faxnum.store.tables import ledger_entries, numbers

ACTIVE = "Active"
_ADD_NUMBER = insert(numbers).returning(numbers.c.id)
_ADD_ENTRY = insert(ledger_entries)


class NumberQueries:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(
        self,
        account_id: int,
        did_id: int,
        group_id: int,
        trunk_id: int,
        now: datetime,
        expires: date,
    ) -> int:
        values = {
            "account_id": account_id,
            "did_id": did_id,
            "did_group_id": group_id,
            "trunk_id": trunk_id,
            "status": ACTIVE,
            "provisioned_at": now,
            "expiration_date": expires,
        }
        return int(self._db.execute(_ADD_NUMBER, values).scalar_one())


class LedgerQueries:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(
        self,
        account_id: int,
        amount_micros: int,
        kind: str,
        description: str,
        now: datetime,
        number_id: int | None = None,
    ) -> None:
        self._db.execute(
            _ADD_ENTRY,
            {
                "account_id": account_id,
                "amount_micros": amount_micros,
                "kind": kind,
                "description": description,
                "number_id": number_id,
                "created_at": now,
            },
        )
