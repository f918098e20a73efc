"""Accounts: keys, balances, logins and sub-accounts.
What the use cases need from storage for it."""

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from faxnum.domain.accounts import AccountSummary, BalanceChange, Credentials, KeyHolder
from faxnum.domain.pagination import PageRequest
from faxnum.domain.webhooks import (
    NotificationSettings,
)


class AccountRepository(Protocol):
    def holder_of_key(self, digest: bytes) -> KeyHolder | None:
        """`disabled` when the account or the parent it spends for is disabled."""
        ...

    def create(
        self, email: str, password_hash: str | None, parent_id: int | None, now: datetime
    ) -> int:
        """The new account's id; `Conflict` when the email is taken, even concurrently."""
        ...

    def login_candidates(self, email: str) -> list[Credentials]:
        """Accounts logging in with this email: the main account first, then sub-accounts
        oldest first. `disabled` when the account or the parent it spends for is."""
        ...

    def subaccounts_using(self, email: str) -> int:
        """How many sub-accounts, under any parent, use this email."""
        ...

    def summaries(self) -> list[AccountSummary]: ...

    def summary(self, account_id: int) -> AccountSummary | None: ...

    def subaccounts_page(
        self, parent_id: int, wanted: PageRequest
    ) -> tuple[list[AccountSummary], int]:
        """Oldest first; and how many there are."""
        ...

    def set_disabled(self, account_id: int, disabled: bool) -> bool: ...

    def set_password_hash(self, account_id: int, password_hash: str) -> bool: ...

    def revoke_key(self, key_id: int, now: datetime) -> bool:
        """Revoke one key unless it already is (False then)."""
        ...

    def revoke_keys(self, account_id: int, now: datetime) -> int: ...

    def id_by_email(self, email: str) -> int | None:
        """The account an operator means by an email: the main account, else the oldest
        sub-account with it."""
        ...

    def add_default_trunk(self, account_id: int) -> int: ...

    def add_key(self, account_id: int, digest: bytes, encrypted: bytes, now: datetime) -> int: ...

    def encrypted_key(self, account_id: int) -> bytes | None:
        """The newest live key's encrypted copy."""
        ...

    def live_encrypted_keys(
        self, after_id: int, limit: int, newest_first: bool = False
    ) -> list[tuple[int, bytes]]:
        """(key id, encrypted copy) of keys not revoked, by id from `after_id` on."""
        ...

    def replace_encrypted(self, key_id: int, encrypted: bytes) -> None: ...

    def balance(self, account_id: int) -> Decimal: ...

    def change_balance(
        self, account_id: int, delta: Decimal, keep_holds: bool = False
    ) -> BalanceChange | None:
        """Apply the change unless the balance would go below zero (`keep_holds`: below
        the money promised to the account tree's live holds); None when refused."""
        ...

    def spend_at_commit(self, account_id: int, amount: Decimal, keep_holds: bool = False) -> bool:
        """Take `amount` as the transaction commits instead of now, if this unit of work
        can (True): the account's row is then locked only while it commits. A spend
        the commit finds refused, or taking the balance below its low-balance
        threshold, fails the commit with nothing kept, and the use case runs again in
        a unit of work that answers False here: it then spends with `change_balance`,
        which tells it what it needs to know."""
        ...

    def hold_money(self, payer_id: int, amount: Decimal) -> bool:
        """Promise `amount` of the payer's balance to a hold, unless the balance not
        yet promised is less (False then, nothing changed)."""
        ...

    def release_money(self, payer_id: int, amount: Decimal) -> None:
        """A hold ended: its promise no longer binds the balance."""
        ...

    def notification_settings(self, account_id: int) -> NotificationSettings: ...

    def set_notification_settings(
        self, account_id: int, settings: NotificationSettings
    ) -> None: ...
