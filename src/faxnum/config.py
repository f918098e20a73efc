"""Settings from the environment (FAXNUM_*), one typed object.

`Settings` is the object and its rules; `settings_from_environment` reads it from
FAXNUM_* through pydantic-settings. A serving worker is handed the settings its
launcher read (`faxnum.api.server`), so it never loads that library.
"""

import json
from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path

from limits import parse_many
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from faxnum.domain.accounts import DEFAULT_MAX_SUBACCOUNTS
from faxnum.domain.faxes import FaxLimits
from faxnum.domain.lifecycle import LifecyclePolicy
from faxnum.domain.money import check_amount
from faxnum.domain.reservations import DEFAULT_MAX_RESERVED
from faxnum.domain.webhooks import DeliveryPolicy
from faxnum.outbound.addresses import OutboundPolicy
from faxnum.security.key_cipher import KeyCipher
from faxnum.security.secrets import (
    WeakSecret,
    check_strength,
    keep_local_secret,
    local_secrets,
    new_secret,
    split_secrets,
)

DATABASE_FILE = "faxnum.db"


class Settings(BaseModel):
    # As pydantic-settings validates: no unknown name, every default checked too.
    model_config = ConfigDict(extra="forbid", validate_default=True)

    data_dir: Path = Path("data")
    database_url: str | None = None
    secret_key: SecretStr | None = None
    redis_url: str | None = None
    # Per account tree (an account and its sub-accounts share one budget, whichever key
    # they use); `limits` notation, several separated by ';' ("20/second;600/minute").
    rate_limit: str = "20/second;600/minute"
    # Per client address, for register, login and sub-account creation.
    auth_rate_limit: str = "10/minute;100/hour"
    # Per account tree, on top of rate_limit: creating sub-accounts and rotating keys.
    account_change_rate_limit: str = "10/minute;50/day"
    # How many sub-accounts one account may have.
    max_subaccounts: int = Field(default=DEFAULT_MAX_SUBACCOUNTS, ge=0)
    welcome_credit: Decimal = Decimal("0")
    # Renewal inside `serve`: how often (0 turns it off), grace and aging in days.
    renew_interval_s: float = Field(default=3600, ge=0, allow_inf_nan=False)
    grace_days: int = Field(default=7, ge=0, le=3650)
    aging_days: int = Field(default=30, ge=0, le=3650)
    # How many numbers one account may hold in reservations at once.
    max_reserved: int = Field(default=DEFAULT_MAX_RESERVED, ge=0, le=100_000)
    # How often each serving process ends expired reservations (0 turns it off).
    reservation_sweep_s: float = Field(default=1.0, ge=0, le=60, allow_inf_nan=False)
    # How often each serving process raises the groups' stock floors (0 turns it off;
    # takes then step over every DID taken from the group since the last raise).
    stock_floor_raise_s: float = Field(default=2.0, ge=0, le=3600, allow_inf_nan=False)
    # Webhooks: a delivery worker inside every serving process (off: run `faxnum
    # webhooks deliver` elsewhere); plain http and private addresses only when allowed.
    webhook_delivery: bool = True
    # Dashboard cookies are Secure over HTTPS; this forces it where TLS ends at a proxy
    # not listed in trusted_proxies (the request then looks like plain http).
    dashboard_secure_cookies: bool = False
    webhook_allow_http: bool = False
    webhook_allow_private: bool = False
    # Provisioning, the DID-group listing and /healthz answered before FastAPI's routing
    # (`api/edge/hot_routes.py`); off, FastAPI's routes answer them with the same functions.
    fast_path: bool = True
    # Trunk URIs aimed at loopback, private or link-local addresses, or at names such as
    # localhost and *.internal: refused unless allowed (a lab, tests).
    trunk_allow_private: bool = False
    webhook_timeout_s: float = Field(default=10.0, ge=0.1, le=60, allow_inf_nan=False)
    webhook_retry_base_s: float = Field(default=5.0, ge=0.01, le=3600, allow_inf_nan=False)
    webhook_poll_s: float = Field(default=0.5, ge=0.01, le=60, allow_inf_nan=False)
    # How long a repeated Idempotency-Key replays the first answer.
    idempotency_hours: int = Field(default=24, ge=1, le=24 * 365)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)  # larger bodies get 413
    # Where clients reach this service (https://numbers.example.com): pagination links
    # are absolute on it. Unset, they are relative; never built from a Host header.
    public_url: str | None = None
    # Reverse proxies whose X-Forwarded-For / -Proto to believe: addresses or networks,
    # comma-separated ("127.0.0.1", "10.0.0.0/8"), or "*". Unset: none, the peer is the client.
    trusted_proxies: str | None = None
    # Bearer token for GET /metrics (Prometheus); unset, /metrics does not exist.
    metrics_token: SecretStr | None = None
    # Routing lookups on SQLite: an answer is given again until the store next changes
    # (in any process); off, every lookup reads.
    keep_route_answers: bool = True
    # Received faxes: kept this many days, then deleted in batches by the renewal run;
    # an upload past any limit is refused before it is stored.
    fax_retention_days: int = Field(default=90, ge=1, le=36500)
    fax_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, le=1024**3)
    fax_max_pages: int = Field(default=200, ge=1, le=10_000)
    # Of one page: a fax page at 400 dpi is 3456 x 4680, 16 M; this is four times that.
    fax_max_pixels: int = Field(default=64_000_000, ge=100_000, le=1_000_000_000)
    # The address `serve` listens on, as a URL: where fax links point when public_url
    # is unset (set by `serve`, not by hand).
    served_url: str = "http://127.0.0.1:8000"
    demo_email: str = "demo@faxnum.local"
    demo_credit: Decimal = Decimal("100.00")

    @cached_property
    def effective_database_url(self) -> str:
        """The embedded default is an SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / DATABASE_FILE}"

    @property
    def lifecycle(self) -> LifecyclePolicy:
        return LifecyclePolicy(
            grace_days=self.grace_days,
            aging_days=self.aging_days,
            idempotency_hours=self.idempotency_hours,
            fax_retention_days=self.fax_retention_days,
        )

    @property
    def fax_limits(self) -> FaxLimits:
        return FaxLimits(
            max_bytes=self.fax_max_bytes,
            max_pages=self.fax_max_pages,
            max_pixels=self.fax_max_pixels,
        )

    @property
    def link_base_url(self) -> str:
        """Where links handed to clients point: the public URL, else the served address."""
        return self.public_url or self.served_url

    @property
    def outbound_policy(self) -> OutboundPolicy:
        return OutboundPolicy(
            allow_http=self.webhook_allow_http, allow_private=self.webhook_allow_private
        )

    @property
    def delivery_policy(self) -> DeliveryPolicy:
        return DeliveryPolicy(
            timeout_s=self.webhook_timeout_s,
            retry_base=timedelta(seconds=self.webhook_retry_base_s),
            poll_s=self.webhook_poll_s,
        )

    @field_validator("welcome_credit", "demo_credit")
    @classmethod
    def _money(cls, value: Decimal) -> Decimal:
        check_amount(value)
        return value

    @field_validator("rate_limit", "auth_rate_limit", "account_change_rate_limit")
    @classmethod
    def _limits(cls, value: str) -> str:
        try:
            parsed = parse_many(value)
        except ValueError as exc:
            raise ValueError(f"is not a rate limit such as 20/second;600/minute: {exc}") from exc
        if not parsed or any(item.amount < 1 for item in parsed):
            raise ValueError("must allow at least one request per period")
        return value

    @field_validator("metrics_token")
    @classmethod
    def _strong_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_strength(value.get_secret_value())
        return value

    @field_validator("secret_key")
    @classmethod
    def _strong_secrets(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            given = split_secrets(value.get_secret_value())
            if not given:
                raise ValueError("is empty; unset it to have a secret generated")
            for secret in given:
                check_strength(secret.decode())
        return value

    @cached_property
    def effective_secrets(self) -> list[bytes]:
        """The key-encryption secrets, current first. With FAXNUM_SECRET_KEY unset, the
        data directory's; with no secret file there, one generated in memory, which
        `keep_generated_secret` writes once the store is known to accept it (a start
        refused because the file went missing must leave nothing behind)."""
        if self.secret_key is not None:
            return split_secrets(self.secret_key.get_secret_value())
        found = local_secrets(self.data_dir)
        for secret in found:
            try:
                check_strength(secret.decode())
            except WeakSecret as weak:
                raise WeakSecret(f"{self.data_dir / 'secret.key'}: {weak}") from None
        return found or [new_secret().encode()]

    def keep_generated_secret(self) -> list[bytes]:
        """After the store accepted the secrets: a generated one is written to the data
        directory; the secrets to use from now on (another process's, if it wrote its
        own first)."""
        if self.secret_key is not None:
            return self.effective_secrets
        kept = local_secrets(self.data_dir) or keep_local_secret(
            self.data_dir, self.effective_secrets[0]
        )
        self.__dict__["effective_secrets"] = kept
        return kept

    def key_cipher(self) -> KeyCipher:
        return KeyCipher(*self.effective_secrets)


def settings_from_environment() -> Settings:
    """The FAXNUM_* variables, each checked; ValidationError names the bad ones."""
    from faxnum.settings_environment import EnvironmentSettings

    return EnvironmentSettings()


def settings_with_secrets_json(settings: Settings) -> str:
    """Every setting as JSON, secrets included (a SecretStr's JSON hides its value):
    what a launcher hands the server it starts, in that server's environment, where
    FAXNUM_SECRET_KEY already was."""
    values = settings.model_dump(mode="json")
    for name, value in settings:
        if isinstance(value, SecretStr):
            values[name] = value.get_secret_value()
    return json.dumps(values)
