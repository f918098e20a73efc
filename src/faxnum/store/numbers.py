"""Numbers (an account's holdings) and the money ledger."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)

from faxnum.domain.ledger import LedgerEntry
from faxnum.domain.money import from_micros, to_micros
from faxnum.domain.numbers import (
    Did,
    DidGroup,
    DueCursor,
    DueNumber,
    NumberListing,
    NumberStatus,
    ProvisionedNumber,
)
from faxnum.domain.pagination import PageRequest
from faxnum.domain.webhooks import MAX_EXPIRING_DAYS
from faxnum.store.catalogue import CatalogueQueries
from faxnum.store.db.dialect import days_before
from faxnum.store.db.prepared import Prepared
from faxnum.store.db.sent_with_commit import SentWithCommit
from faxnum.store.db.tables import (
    accounts,
    countries,
    did_groups,
    dids,
    ledger_entries,
    numbers,
    webhooks,
)
from faxnum.store.groups import group_of
from faxnum.store.inventory import TAKES, DidQueries, refuse_short_take
from faxnum.store.pages import count, page_ids

ACTIVE = NumberStatus.ACTIVE.value
_ADD_NUMBER = Prepared(insert(numbers).returning(numbers.c.id))


def _add_from_group(skip_held: bool) -> Prepared:
    """PostgreSQL: the take of a DID and its number in one statement, one round trip
    less (SQLite cannot write in a WITH, and its two statements cost no round trip)."""
    taken = TAKES[skip_held].returning(dids.c.id, dids.c.number, dids.c.did_group_id).cte("taken")
    made = (
        insert(numbers)
        .from_select(
            ["account_id", "did_id", "did_group_id", "trunk_id", "status", "provisioned_at",
             "expiration_date"],
            select(
                bindparam("account_id", type_=numbers.c.account_id.type),
                taken.c.id,
                taken.c.did_group_id,
                bindparam("trunk_id", type_=numbers.c.trunk_id.type),
                literal(ACTIVE, numbers.c.status.type),
                bindparam("now", type_=numbers.c.provisioned_at.type),
                bindparam("expires", type_=numbers.c.expiration_date.type),
            ),
        )
        .returning(numbers.c.id, numbers.c.did_id)
        .cte("made")
    )  # fmt: skip
    return Prepared(
        select(
            made.c.id.label("number_id"),
            taken.c.id.label("did_id"),
            taken.c.number.label("did_number"),
            *did_groups.c,
        )
        .join_from(made, taken, taken.c.id == made.c.did_id)
        .join(did_groups, did_groups.c.id == taken.c.did_group_id)
    )


_ADD_FROM_GROUP = {skip_held: _add_from_group(skip_held) for skip_held in (True, False)}
_COUNT_LIVE = Prepared(
    update(accounts)
    .where(accounts.c.id == bindparam("account_id"))
    .values(live_numbers=accounts.c.live_numbers + bindparam("delta"))
)
_ADD_ENTRY = Prepared(insert(ledger_entries))
# A live number as billing sees it (with who pays and the monthly price), to filter.
_DUE_NUMBERS = (
    select(
        numbers.c.id,
        numbers.c.account_id,
        func.coalesce(accounts.c.parent_id, accounts.c.id),
        numbers.c.did_id,
        dids.c.number,
        numbers.c.expiration_date,
        numbers.c.status,
        did_groups.c.monthly_price_micros,
    )
    .join(accounts, accounts.c.id == numbers.c.account_id)
    .join(dids, dids.c.id == numbers.c.did_id)
    .join(did_groups, did_groups.c.id == numbers.c.did_group_id)
)


def _due_number(row: Any) -> DueNumber:
    payer, number = row[2], row[4]
    return DueNumber(
        row.id,
        row.account_id,
        payer,
        row.did_id,
        number,
        row.expiration_date,
        row.status,
        from_micros(row.monthly_price_micros),
    )


class NumberQueries:
    def __init__(
        self, connection: Connection, later: SentWithCommit | None = None, skip_held: bool = False
    ) -> None:
        """`skip_held`: as `DidQueries`'s, for the take of `add_from_group`."""
        self._db = connection
        self._skip_held = skip_held and connection.dialect.name == "postgresql"
        self._later = later  # where the live-number counts wait for the COMMIT
        self._pending: dict[int, int] = {}  # account -> live numbers added, not counted yet

    def add_number(
        self,
        account_id: int,
        did_id: int,
        group_id: int,
        trunk_id: int,
        now: datetime,
        expires: date,
        order_id: int | None = None,
    ) -> int:
        values = {
            "order_id": order_id,
            "account_id": account_id,
            "did_id": did_id,
            "did_group_id": group_id,
            "trunk_id": trunk_id,
            "status": ACTIVE,
            "provisioned_at": now,
            "expiration_date": expires,
        }
        number_id = int(_ADD_NUMBER.rows(self._db, values)[0].id)
        # Counted just before the commit (`count_pending`): the account's row is one
        # every provisioning of the account takes, so it is locked last.
        self._pending[account_id] = self._pending.get(account_id, 0) + 1
        return number_id

    def add_from_group(
        self, account_id: int, group_id: int, trunk_id: int, now: datetime, expires: date
    ) -> tuple[int, Did, DidGroup] | None:
        if self._db.dialect.name != "postgresql":
            taken = DidQueries(self._db, self._skip_held).take_available(group_id, now)
            if taken is None:
                return None
            did, group = taken
            return self.add_number(account_id, did.id, group.id, trunk_id, now, expires), did, group
        values = {
            "group_id": group_id,
            "now": now,
            "account_id": account_id,
            "trunk_id": trunk_id,
            "expires": expires,
        }
        row = _ADD_FROM_GROUP[self._skip_held].first(self._db, values)
        if row is None:
            refuse_short_take(self._db, group_id, self._skip_held)
            return None
        self._pending[account_id] = self._pending.get(account_id, 0) + 1
        return row.number_id, Did(row.did_id, row.did_number), group_of(row)

    def count_pending(self) -> None:
        """The live numbers added in this transaction, counted on their accounts."""
        for account_id, delta in sorted(self._pending.items()):
            values = {"account_id": account_id, "delta": delta}
            if self._later is None:
                _COUNT_LIVE.run(self._db, values)
            else:
                self._later.add(_COUNT_LIVE, values)
        self._pending.clear()

    def provisioned(self, number_id: int) -> ProvisionedNumber | None:
        """A number as provisioning answered it (to replay an idempotent request)."""
        row = self._db.execute(
            select(numbers.c.id, numbers.c.trunk_id, dids.c.id.label("did_id"), dids.c.number)
            .join(dids, dids.c.id == numbers.c.did_id)
            .where(numbers.c.id == number_id)
        ).first()
        if row is None:
            return None
        group = CatalogueQueries(self._db).group_of_number(number_id)
        return ProvisionedNumber(row.id, Did(row.did_id, row.number), group, row.trunk_id)

    def due(self, today: date, after: DueCursor | None, limit: int) -> list[DueNumber]:
        query = _DUE_NUMBERS.where(
            numbers.c.released_at.is_(None), numbers.c.expiration_date <= today
        )
        if after is not None:
            query = query.where(tuple_(numbers.c.expiration_date, numbers.c.id) > tuple_(*after))
        rows = self._db.execute(
            query.order_by(numbers.c.expiration_date, numbers.c.id).limit(limit)
        )
        return [_due_number(row) for row in rows]

    def expiring(self, today: date, after_id: int, limit: int) -> list[DueNumber]:
        """Live numbers inside their holder's `expiring_days` before expiry, not yet
        warned for this paid period, of holders whose endpoints (or whose parent's)
        could hear it; by id from `after_id` on."""
        heard = exists().where(
            webhooks.c.enabled.is_(True),
            or_(
                webhooks.c.account_id == accounts.c.id,
                webhooks.c.account_id == accounts.c.parent_id,
            ),
        )
        rows = self._db.execute(
            _DUE_NUMBERS.where(
                numbers.c.id > after_id,
                numbers.c.released_at.is_(None),
                numbers.c.expiration_date > today,
                numbers.c.expiration_date <= today + timedelta(days=MAX_EXPIRING_DAYS),
                or_(
                    numbers.c.expiring_sent_for.is_(None),
                    numbers.c.expiring_sent_for != numbers.c.expiration_date,
                ),
                accounts.c.expiring_days > 0,
                days_before(self._db, numbers.c.expiration_date, accounts.c.expiring_days) <= today,
                heard,
            )
            .order_by(numbers.c.id)
            .limit(limit)
        )
        return [_due_number(row) for row in rows]

    def mark_expiring_sent(self, number_id: int, expiration_date: date) -> bool:
        """Once per paid period (guarded: two runs never both warn)."""
        changed = self._db.execute(
            update(numbers)
            .where(
                numbers.c.id == number_id,
                numbers.c.expiration_date == expiration_date,
                or_(
                    numbers.c.expiring_sent_for.is_(None),
                    numbers.c.expiring_sent_for != expiration_date,
                ),
            )
            .values(expiring_sent_for=expiration_date)
        )
        return changed.rowcount == 1

    def extend(self, number_id: int, paid_until: date, new_expiration: date) -> bool:
        """Move the paid period on, unless someone else already did (guarded)."""
        changed = self._db.execute(
            update(numbers)
            .where(
                numbers.c.id == number_id,
                numbers.c.expiration_date == paid_until,
                numbers.c.released_at.is_(None),
            )
            .values(expiration_date=new_expiration, status=ACTIVE)
        )
        return changed.rowcount == 1

    def mark_expired(self, number_id: int) -> bool:
        changed = self._db.execute(
            update(numbers)
            .where(
                numbers.c.id == number_id,
                numbers.c.status == ACTIVE,
                numbers.c.released_at.is_(None),
            )
            .values(status=NumberStatus.EXPIRED.value)
        )
        return changed.rowcount == 1

    def release(self, number_id: int, now: datetime) -> bool:
        holder = self._db.execute(
            update(numbers)
            .where(numbers.c.id == number_id, numbers.c.released_at.is_(None))
            .values(status=NumberStatus.RELEASED.value, released_at=now)
            .returning(numbers.c.account_id)
        ).scalar()
        if holder is None:
            return False
        _COUNT_LIVE.run(self._db, {"account_id": holder, "delta": -1})
        return True

    def page_for(self, account_id: int, wanted: PageRequest) -> tuple[list[NumberListing], int]:
        """Newest first; the total counts every visible number, not just this page."""
        holders = [account_id, *self._db.execute(_SUBACCOUNTS, {"parent_id": account_id}).scalars()]
        live = numbers.c.account_id.in_(holders) & numbers.c.released_at.is_(None)
        total = self._db.execute(
            select(func.coalesce(func.sum(accounts.c.live_numbers), 0)).where(
                accounts.c.id.in_(holders)
            )
        )
        ids = page_ids(self._db, numbers.c.id, live, wanted)
        rows = self._db.execute(
            _LISTINGS.where(numbers.c.id.in_(ids)).order_by(numbers.c.id.desc())
        )
        return [NumberListing(**row._mapping) for row in rows], int(total.scalar_one())

    def visible(self, number_id: int, viewer_id: int) -> NumberListing | None:
        """One live number, if the viewer holds it or its sub-account does."""
        row = self._db.execute(
            _LISTINGS.where(numbers.c.id == number_id, _visible_to(viewer_id))
        ).first()
        return None if row is None else NumberListing(**row._mapping)

    def set_trunk(self, number_id: int, trunk_id: int) -> bool:
        changed = self._db.execute(
            update(numbers)
            .where(numbers.c.id == number_id, numbers.c.released_at.is_(None))
            .values(trunk_id=trunk_id)
        )
        return changed.rowcount == 1

    def count_on_trunk(self, trunk_id: int) -> int:
        """Live numbers routed to the trunk."""
        found = self._db.execute(
            select(func.count())
            .select_from(numbers)
            .where(numbers.c.trunk_id == trunk_id, numbers.c.released_at.is_(None))
        )
        return int(found.scalar_one())

    def of_order(self, order_id: int) -> list[ProvisionedNumber]:
        """The numbers an order provisioned, as provisioning answered each."""
        return self.of_orders([order_id]).get(order_id, [])

    def of_orders(self, order_ids: Sequence[int]) -> dict[int, list[ProvisionedNumber]]:
        """The numbers of several orders, in one query."""
        rows = self._db.execute(
            select(
                numbers.c.order_id,
                numbers.c.id.label("number_id"),
                numbers.c.trunk_id,
                dids.c.id.label("did_id"),
                dids.c.number,
                did_groups,
            )
            .join(dids, dids.c.id == numbers.c.did_id)
            .join(did_groups, did_groups.c.id == numbers.c.did_group_id)
            .where(numbers.c.order_id.in_(order_ids))
            .order_by(numbers.c.id)
        )
        found: dict[int, list[ProvisionedNumber]] = {}
        for row in rows:
            number = ProvisionedNumber(
                row.number_id, Did(row.did_id, row.number), group_of(row), row.trunk_id
            )
            found.setdefault(row.order_id, []).append(number)
        return found


_SUBACCOUNTS = select(accounts.c.id).where(accounts.c.parent_id == bindparam("parent_id"))
_LISTINGS = (
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
        numbers.c.trunk_id,
        numbers.c.account_id,
        numbers.c.did_id,
    )
    .join(dids, dids.c.id == numbers.c.did_id)
    .join(did_groups, did_groups.c.id == numbers.c.did_group_id)
    .join(countries, countries.c.code == did_groups.c.country_code)
)


def _visible_to(account_id: int) -> ColumnElement[bool]:
    """An account sees its own live numbers and those of its sub-accounts."""
    return numbers.c.released_at.is_(None) & or_(
        numbers.c.account_id == account_id,
        numbers.c.account_id.in_(select(accounts.c.id).where(accounts.c.parent_id == account_id)),
    )


class LedgerQueries:
    def __init__(
        self, connection: Connection, later: SentWithCommit | None = None, skip_held: bool = False
    ) -> None:
        """`skip_held`: as `DidQueries`'s, for the take of `add_from_group`."""
        self._db = connection
        self._skip_held = skip_held and connection.dialect.name == "postgresql"
        self._later = later  # where entries wait for the COMMIT; None: written at once

    def add_entry(
        self,
        account_id: int,
        amount: Decimal,
        kind: str,
        description: str,
        now: datetime,
        number_id: int | None = None,
        actor_id: int | None = None,
    ) -> None:
        values = {
            "actor_id": actor_id,
            "account_id": account_id,
            "amount_micros": to_micros(amount),
            "kind": kind,
            "description": description,
            "number_id": number_id,
            "created_at": now,
        }
        if self._later is None:
            _ADD_ENTRY.run(self._db, values)
        else:
            self._later.add(_ADD_ENTRY, values)

    def page_for(self, account_id: int, wanted: PageRequest) -> tuple[list[LedgerEntry], int]:
        """Entries on the account's money, and those it caused on its parent's."""
        parent = self._db.execute(
            select(accounts.c.parent_id).where(accounts.c.id == account_id)
        ).scalar()
        # Only a sub-account causes entries on money not its own: a main account's
        # entries are exactly those on its money, one index read in order.
        visible = ledger_entries.c.account_id == account_id
        if parent is not None:
            visible = visible | (ledger_entries.c.actor_id == account_id)
        total = count(self._db, ledger_entries, visible)
        ids = page_ids(self._db, ledger_entries.c.id, visible, wanted)
        rows = self._db.execute(
            select(
                ledger_entries.c.id,
                ledger_entries.c.created_at,
                ledger_entries.c.kind,
                ledger_entries.c.description,
                ledger_entries.c.amount_micros,
                ledger_entries.c.number_id,
            )
            .where(ledger_entries.c.id.in_(ids))
            .order_by(ledger_entries.c.id.desc())
        )
        entries = [
            LedgerEntry(
                row.id,
                row.created_at,
                row.kind,
                row.description,
                from_micros(row.amount_micros),
                row.number_id,
            )
            for row in rows
        ]
        return entries, int(total)
