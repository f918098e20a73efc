"""Accounts as the domain sees them: the authenticated caller, password rules."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from faxnum.domain.errors import Invalid

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # hashing is deliberately slow: bound the input
MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path
DEFAULT_MAX_SUBACCOUNTS = 100
# Sub-accounts of different parents may share an email (each parent's namespace is its
# own); a login checks each one's password, so how many may share one is bounded.
MAX_SUBACCOUNTS_PER_EMAIL = 3


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid.field("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid.field("password", f"must be at most {MAX_PASSWORD_LENGTH} characters")


@dataclass(frozen=True)
class BalanceChange:
    """A balance as one change left it, and the account's low-balance threshold."""

    before: Decimal
    after: Decimal
    low_balance: Decimal

    @property
    def fell_below_low(self) -> bool:
        """This change crossed the threshold downwards (each crossing tells once)."""
        return self.after < self.low_balance <= self.before


@dataclass(frozen=True)
class Caller:
    """An account acting through one of its API keys."""

    account_id: int
    parent_id: int | None
    key_id: int
    trunk_id: int

    @property
    def is_subaccount(self) -> bool:
        return self.parent_id is not None

    @property
    def payer_id(self) -> int:
        """Sub-accounts spend their parent's balance."""
        return self.parent_id if self.parent_id is not None else self.account_id


def sees(viewer_id: int, holder_id: int, holder_parent_id: int | None) -> bool:
    """An account sees what it holds and what its sub-accounts hold; never its parent's
    or a sibling's."""
    return viewer_id in (holder_id, holder_parent_id)


@dataclass(frozen=True)
class KeyHolder:
    """What a key digest resolves to, before authentication decides to accept it."""

    caller: Caller
    digest: bytes
    disabled: bool


@dataclass(frozen=True)
class Credentials:
    """What a login checks a password against."""

    account_id: int
    password_hash: str | None
    disabled: bool


@dataclass(frozen=True)
class AccountSummary:
    id: int
    email: str
    parent_id: int | None
    balance: Decimal
    disabled: bool
    created_at: datetime
