"""Queries on accounts, their API keys and trunks; every one scoped by account id."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import NullType

from faxnum.domain.accounts import (
    AccountSummary,
    BalanceChange,
    Caller,
    Credentials,
    KeyHolder,
)
from faxnum.domain.errors import Conflict
from faxnum.domain.money import from_micros, to_micros
from faxnum.domain.pagination import PageRequest
from faxnum.domain.webhooks import NotificationSettings
from faxnum.store.db.prepared import Prepared
from faxnum.store.db.sent_with_commit import SentWithCommit
from faxnum.store.db.tables import accounts, api_keys, trunks, web_sessions
from faxnum.store.pages import count, oldest_first
from faxnum.store.webhooks import Unheard, heard_by_any

_parent = accounts.alias("parent")
# An account is shut out when it, or the parent whose balance it spends, is disabled.
_SHUT_OUT = or_(accounts.c.disabled, _parent.c.disabled.is_(True)).label("disabled")
# Built once: statement construction costs more than SQLite's execution of it.
_HOLDER_OF_KEY = Prepared(
    select(
        api_keys.c.id,
        api_keys.c.digest,
        accounts.c.id.label("account_id"),
        accounts.c.parent_id,
        _SHUT_OUT,
        trunks.c.id.label("trunk_id"),
        heard_by_any(accounts).label("heard"),
    )
    .join(accounts, accounts.c.id == api_keys.c.account_id)
    .outerjoin(_parent, _parent.c.id == accounts.c.parent_id)
    .join(trunks, and_(trunks.c.account_id == accounts.c.id, trunks.c.is_default))
    .where(api_keys.c.digest == bindparam("digest"), api_keys.c.revoked_at.is_(None))
)
_SUMMARY_COLUMNS = (
    accounts.c.id,
    accounts.c.email,
    accounts.c.parent_id,
    accounts.c.balance_micros,
    accounts.c.disabled,
    accounts.c.created_at,
)


def _balance_change(floor: ColumnElement[int] | int) -> Prepared:
    return Prepared(
        update(accounts)
        .where(
            accounts.c.id == bindparam("account_id"),
            accounts.c.balance_micros + bindparam("delta") >= floor,
        )
        .values(balance_micros=accounts.c.balance_micros + bindparam("delta"))
        .returning(accounts.c.balance_micros, accounts.c.low_balance_micros)
    )


_CHANGE_BALANCE = _balance_change(0)
# A voluntary spend leaves what live holds were promised (`held_micros`) untouched.
_SPEND_KEEPING_HOLDS = _balance_change(accounts.c.held_micros)

# The SQLSTATE `faxnum_spend_needs_check()` raises (migration 0016).
SPEND_NEEDS_CHECK = "FX001"


def _spend_checked_at_commit(floor: ColumnElement[int] | int) -> Prepared:
    """PostgreSQL: the spend sent with the COMMIT, checked in SQL. When it is refused,
    or would cross the low-balance threshold (which the use case must tell of), it
    changes nothing and the statement fails, so the COMMIT after it never runs."""
    after = accounts.c.balance_micros + bindparam("delta")
    crossing = and_(after < accounts.c.low_balance_micros,
                    accounts.c.low_balance_micros <= accounts.c.balance_micros)  # fmt: skip
    spent = (
        update(accounts)
        .where(accounts.c.id == bindparam("account_id"), after >= floor, ~crossing)
        .values(balance_micros=after)
        .returning(accounts.c.id)
        .cte("spent")
    )
    needs_check = func.faxnum_spend_needs_check(type_=NullType)
    return Prepared(select(needs_check.label("refused")).where(~select(spent.c.id).exists()))


_SPEND_AT_COMMIT = _spend_checked_at_commit(0)
_SPEND_KEEPING_HOLDS_AT_COMMIT = _spend_checked_at_commit(accounts.c.held_micros)


class AccountQueries:
    def __init__(
        self,
        connection: Connection,
        at_commit: SentWithCommit | None = None,
        unheard: Unheard | None = None,
    ) -> None:
        """`at_commit`: where spends checked at the commit wait for it (PostgreSQL's
        only), if this unit of work checks them there. `unheard`: where authenticating a
        key notes that nobody hears its account, for the transaction's `WebhookQueries`."""
        self._db = connection
        self._at_commit = at_commit
        self._unheard = unheard or Unheard()

    def holder_of_key(self, digest: bytes) -> KeyHolder | None:
        row = _HOLDER_OF_KEY.first(self._db, {"digest": digest})
        if row is None:
            return None
        caller = Caller(row.account_id, row.parent_id, row.id, row.trunk_id)
        self._unheard.note(row.account_id, bool(row.heard))
        return KeyHolder(caller, row.digest, row.disabled)

    def create(
        self, email: str, password_hash: str | None, parent_id: int | None, now: datetime
    ) -> int:
        """A new account; Conflict when the email is taken (even by a concurrent insert)."""
        statement = (
            insert(accounts)
            .values(email=email, password_hash=password_hash, parent_id=parent_id, created_at=now)
            .returning(accounts.c.id)
        )
        try:
            with self._db.begin_nested():
                return int(self._db.execute(statement).scalar_one())
        except IntegrityError as exc:
            raise Conflict("An account with this email already exists.") from exc

    def login_candidates(self, email: str) -> list[Credentials]:
        rows = self._db.execute(
            select(accounts.c.id, accounts.c.password_hash, _SHUT_OUT)
            .outerjoin(_parent, _parent.c.id == accounts.c.parent_id)
            .where(accounts.c.email == email)
            .order_by(accounts.c.parent_id.is_not(None), accounts.c.id)
        )
        return [Credentials(row.id, row.password_hash, row.disabled) for row in rows]

    def subaccounts_using(self, email: str) -> int:
        mine = (accounts.c.email == email) & accounts.c.parent_id.is_not(None)
        found = self._db.execute(select(func.count()).select_from(accounts).where(mine))
        return int(found.scalar_one())

    def summaries(self) -> list[AccountSummary]:
        rows = self._db.execute(select(*_SUMMARY_COLUMNS).order_by(accounts.c.id))
        return [_summary(row) for row in rows]

    def summary(self, account_id: int) -> AccountSummary | None:
        row = self._db.execute(select(*_SUMMARY_COLUMNS).where(accounts.c.id == account_id)).first()
        return None if row is None else _summary(row)

    def subaccounts_page(
        self, parent_id: int, wanted: PageRequest
    ) -> tuple[list[AccountSummary], int]:
        """Oldest first; and how many there are."""
        mine = accounts.c.parent_id == parent_id
        rows = self._db.execute(
            oldest_first(select(*_SUMMARY_COLUMNS).where(mine), accounts.c.id, wanted)
        )
        return [_summary(row) for row in rows], count(self._db, accounts, mine)

    def set_disabled(self, account_id: int, disabled: bool) -> bool:
        """Disabling also ends the dashboard sessions of the account and of its
        sub-accounts: enabling it again later does not bring an old cookie back."""
        changed = self._db.execute(
            update(accounts).where(accounts.c.id == account_id).values(disabled=disabled)
        )
        if disabled:
            tree = select(accounts.c.id).where(
                or_(accounts.c.id == account_id, accounts.c.parent_id == account_id)
            )
            self._db.execute(
                update(web_sessions)
                .where(web_sessions.c.account_id.in_(tree), web_sessions.c.ended_at.is_(None))
                .values(ended_at=datetime.now(UTC))
            )
        return changed.rowcount == 1

    def set_password_hash(self, account_id: int, password_hash: str) -> bool:
        changed = self._db.execute(
            update(accounts).where(accounts.c.id == account_id).values(password_hash=password_hash)
        )
        return changed.rowcount == 1

    def revoke_key(self, key_id: int, now: datetime) -> bool:
        changed = self._db.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return changed.rowcount == 1

    def revoke_keys(self, account_id: int, now: datetime) -> int:
        changed = self._db.execute(
            update(api_keys)
            .where(api_keys.c.account_id == account_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(changed.rowcount)

    def id_by_email(self, email: str) -> int | None:
        found = self._db.execute(
            select(accounts.c.id)
            .where(accounts.c.email == email)
            .order_by(accounts.c.parent_id.is_not(None), accounts.c.id)
            .limit(1)
        ).scalar()
        return None if found is None else int(found)

    def add_default_trunk(self, account_id: int) -> int:
        return int(
            self._db.execute(
                insert(trunks)
                .values(account_id=account_id, name="default", is_default=True)
                .returning(trunks.c.id)
            ).scalar_one()
        )

    def add_key(self, account_id: int, digest: bytes, encrypted: bytes, now: datetime) -> int:
        return int(
            self._db.execute(
                insert(api_keys)
                .values(account_id=account_id, digest=digest, encrypted=encrypted, created_at=now)
                .returning(api_keys.c.id)
            ).scalar_one()
        )

    def encrypted_key(self, account_id: int) -> bytes | None:
        found = self._db.execute(
            select(api_keys.c.encrypted)
            .where(api_keys.c.account_id == account_id, api_keys.c.revoked_at.is_(None))
            .order_by(api_keys.c.id.desc())
            .limit(1)
        ).scalar()
        return None if found is None else bytes(found)

    def live_encrypted_keys(
        self, after_id: int, limit: int, newest_first: bool = False
    ) -> list[tuple[int, bytes]]:
        order = api_keys.c.id.desc() if newest_first else api_keys.c.id
        rows = self._db.execute(
            select(api_keys.c.id, api_keys.c.encrypted)
            .where(api_keys.c.revoked_at.is_(None), api_keys.c.id > after_id)
            .order_by(order)
            .limit(limit)
        )
        return [(int(key_id), bytes(encrypted)) for key_id, encrypted in rows]

    def replace_encrypted(self, key_id: int, encrypted: bytes) -> None:
        self._db.execute(
            update(api_keys).where(api_keys.c.id == key_id).values(encrypted=encrypted)
        )

    def balance(self, account_id: int) -> Decimal:
        micros = self._db.execute(
            select(accounts.c.balance_micros).where(accounts.c.id == account_id)
        ).scalar_one()
        return from_micros(int(micros))

    def change_balance(
        self, account_id: int, delta: Decimal, keep_holds: bool = False
    ) -> BalanceChange | None:
        """Apply a balance change unless it would go below zero (or below what live
        holds were promised); None when refused. A credit is never refused."""
        micros = to_micros(delta)
        statement = _SPEND_KEEPING_HOLDS if keep_holds and micros < 0 else _CHANGE_BALANCE
        row = statement.first(self._db, {"account_id": account_id, "delta": micros})
        if row is None:
            return None
        return BalanceChange(
            from_micros(row.balance_micros - micros),
            from_micros(row.balance_micros),
            from_micros(row.low_balance_micros),
        )

    def spend_at_commit(self, account_id: int, amount: Decimal, keep_holds: bool = False) -> bool:
        if self._at_commit is None:
            return False
        statement = _SPEND_KEEPING_HOLDS_AT_COMMIT if keep_holds else _SPEND_AT_COMMIT
        self._at_commit.add(statement, {"account_id": account_id, "delta": -to_micros(amount)})
        return True

    def hold_money(self, payer_id: int, amount: Decimal) -> bool:
        micros = to_micros(amount)
        changed = self._db.execute(
            update(accounts)
            .where(
                accounts.c.id == payer_id,
                accounts.c.balance_micros - accounts.c.held_micros >= micros,
            )
            .values(held_micros=accounts.c.held_micros + micros)
        )
        return changed.rowcount == 1

    def release_money(self, payer_id: int, amount: Decimal) -> None:
        micros = to_micros(amount)
        self._db.execute(
            update(accounts)
            .where(accounts.c.id == payer_id)
            .values(
                held_micros=case(
                    (accounts.c.held_micros > micros, accounts.c.held_micros - micros), else_=0
                )
            )
        )

    def notification_settings(self, account_id: int) -> NotificationSettings:
        row = self._db.execute(
            select(accounts.c.expiring_days, accounts.c.low_balance_micros).where(
                accounts.c.id == account_id
            )
        ).one()
        return NotificationSettings(row.expiring_days, from_micros(row.low_balance_micros))

    def set_notification_settings(self, account_id: int, settings: NotificationSettings) -> None:
        self._db.execute(
            update(accounts)
            .where(accounts.c.id == account_id)
            .values(
                expiring_days=settings.expiring_days,
                low_balance_micros=to_micros(settings.low_balance),
            )
        )


def _summary(row: Any) -> AccountSummary:  # a Row of _SUMMARY_COLUMNS
    return AccountSummary(
        row.id,
        row.email,
        row.parent_id,
        from_micros(row.balance_micros),
        row.disabled,
        row.created_at,
    )
