"""Settings from the environment (FAXNUM_*), one typed object."""

from decimal import Decimal
from functools import cached_property
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from faxnum.domain.lifecycle import LifecyclePolicy
from faxnum.security.secrets import local_secret


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FAXNUM_")

    data_dir: Path = Path("data")
    database_url: str | None = None
    secret_key: SecretStr | None = None
    redis_url: str | None = None
    # Per API key; `limits` notation, several separated by ';' ("20/second;600/minute").
    rate_limit: str = "20/second;600/minute"
    # Per client address, for the unauthenticated register and login endpoints.
    auth_rate_limit: str = "10/minute;100/hour"
    welcome_credit: Decimal = Decimal("0")
    # Renewal inside `serve`: how often (0 turns it off), grace and aging in days.
    renew_interval_s: float = 3600
    grace_days: int = 7
    aging_days: int = 30
    # How long a repeated Idempotency-Key replays the first answer.
    idempotency_hours: int = 24
    max_body_bytes: int = 64 * 1024  # larger request bodies get 413
    # Where clients reach this service (https://numbers.example.com): pagination links
    # are absolute on it. Unset, they are relative; never built from a Host header.
    public_url: str | None = None
    demo_email: str = "demo@faxnum.local"
    demo_credit: Decimal = Decimal("100.00")

    @cached_property
    def effective_database_url(self) -> str:
        """The embedded default is an SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'faxnum.db'}"

    @property
    def lifecycle(self) -> LifecyclePolicy:
        return LifecyclePolicy(
            grace_days=self.grace_days,
            aging_days=self.aging_days,
            idempotency_hours=self.idempotency_hours,
        )

    @cached_property
    def effective_secret(self) -> bytes:
        """The key-encryption secret; generated once into the data dir when unset."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        return local_secret(self.data_dir)
