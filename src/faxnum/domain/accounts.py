"""The authenticated caller as the domain sees it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """An account acting through one of its API keys."""

    account_id: int
    parent_id: int | None
    key_id: int
    trunk_id: int

    @property
    def payer_id(self) -> int:
        """Sub-accounts spend their parent's balance."""
        return self.parent_id if self.parent_id is not None else self.account_id
