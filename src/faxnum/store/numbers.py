"""Numbers (an account's holdings) and the money ledger."""

from datetime import date, datetime

from sqlalchemy import ColumnElement, Connection, func, insert, or_, select

from faxnum.domain.numbers import NumberListing
from faxnum.domain.pagination import PageRequest
from faxnum.store.tables import accounts, countries, did_groups, dids, ledger_entries, numbers

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

    def page_for(self, account_id: int, wanted: PageRequest) -> tuple[list[NumberListing], int]:
        """Newest first; the total counts every visible number, not just this page."""
        visible = _visible_to(account_id)
        total = self._db.execute(
            select(func.count()).select_from(numbers).where(visible)
        ).scalar_one()
        rows = self._db.execute(
            select(
                numbers.c.id,
                numbers.c.order_reference,
                did_groups.c.country_code,
                countries.c.name.label("country"),
                did_groups.c.city_name,
                did_groups.c.area_code,
                numbers.c.did_group_id,
                dids.c.number.label("did_number"),
                numbers.c.expiration_date,
                numbers.c.status,
            )
            .join(dids, dids.c.id == numbers.c.did_id)
            .join(did_groups, did_groups.c.id == numbers.c.did_group_id)
            .join(countries, countries.c.code == did_groups.c.country_code)
            .where(visible)
            .order_by(numbers.c.id.desc())
            .limit(wanted.limit)
            .offset(wanted.offset)
        )
        return [NumberListing(**row._mapping) for row in rows], int(total)


def _visible_to(account_id: int) -> ColumnElement[bool]:
    """An account sees its own live numbers and those of its sub-accounts."""
    return numbers.c.released_at.is_(None) & or_(
        numbers.c.account_id == account_id,
        numbers.c.account_id.in_(select(accounts.c.id).where(accounts.c.parent_id == account_id)),
    )


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
