"""Accounts as the domain sees them: the authenticated caller, password rules."""

from dataclasses import dataclass

from faxnum.domain.errors import Invalid

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # hashing is deliberately slow: bound the input


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid.field("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid.field("password", f"must be at most {MAX_PASSWORD_LENGTH} characters")


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
