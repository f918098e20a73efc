"""The dashboard's own use cases: sessions and the operator's view. Everything else
the dashboard does goes through the same service functions as the API.

A session is a random token in an HttpOnly cookie; the database keeps its SHA-256
digest, so a stolen database opens no session, and logging out ends it there.
"""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from faxnum.domain.accounts import AccountSummary, Caller
from faxnum.domain.errors import Unauthorized
from faxnum.domain.numbers import DidGroup
from faxnum.domain.pagination import Page, PageRequest
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import authenticate
from faxnum.services.unit_of_work import UnitOfWork

SESSION_LIFETIME = timedelta(hours=12)
CHART_DAYS = 30
Counts = dict[str, int]


class WebSessionRepository(Protocol):
    def add_session(
        self, digest: bytes, account_id: int, now: datetime, expires: datetime
    ) -> None: ...

    def account_of(self, digest: bytes, now: datetime) -> int | None:
        """The account of a live session (not ended or expired, account not disabled)."""
        ...

    def end(self, digest: bytes, now: datetime) -> None: ...


class OperatorRepository(Protocol):
    def is_operator(self, account_id: int) -> bool: ...

    def grant(self, account_id: int) -> None: ...

    def inventory_by_country(self) -> dict[str, Counts]: ...

    def groups_with_counts(
        self, country_code: str, page: PageRequest
    ) -> tuple[list[tuple[DidGroup, Counts]], int]: ...

    def provisioned_per_day(self, since: datetime) -> dict[date, int]: ...


class DashboardUnitOfWork(UnitOfWork, Protocol):
    @property
    def web_sessions(self) -> WebSessionRepository: ...

    @property
    def operator(self) -> OperatorRepository: ...


@dataclass(frozen=True)
class Viewer:
    """Who a session acts as: the account, through its current key."""

    caller: Caller
    api_key: str
    email: str
    operator: bool


@dataclass(frozen=True)
class OperatorOverview:
    inventory: dict[str, Counts]
    days: list[tuple[date, int]]
    accounts: Sequence[AccountSummary]


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def start_session(uow: DashboardUnitOfWork, account_id: int, now: datetime) -> str:
    """A new session's token (for the cookie only)."""
    token = secrets.token_urlsafe(32)
    uow.web_sessions.add_session(_digest(token), account_id, now, now + SESSION_LIFETIME)
    uow.commit()
    return token


def end_session(uow: DashboardUnitOfWork, token: str, now: datetime) -> None:
    uow.web_sessions.end(_digest(token), now)
    uow.commit()


def session_digest(token: str) -> str:
    """What a CSRF token is bound to: never the token itself."""
    return _digest(token).hex()


def viewer_of(
    uow: DashboardUnitOfWork, cipher: KeyCipher, token: str | None, now: datetime
) -> Viewer | None:
    """The account a session cookie acts as, or None (no, ended or expired session;
    a disabled account)."""
    if not token or len(token) > 100:
        return None
    account_id = uow.web_sessions.account_of(_digest(token), now)
    if account_id is None:
        return None
    encrypted = uow.accounts.encrypted_key(account_id)
    if encrypted is None:
        return None
    api_key = cipher.decrypt(encrypted)
    try:
        caller = authenticate(uow, api_key)
    except Unauthorized:
        return None
    summary = uow.accounts.summary(account_id)
    operator = uow.operator.is_operator(account_id)
    return Viewer(caller, api_key, summary.email if summary else "", operator)


def grant_operator(uow: DashboardUnitOfWork, account_id: int) -> None:
    """The account sees the operator's view in the dashboard."""
    uow.operator.grant(account_id)
    uow.commit()


def operator_overview(uow: DashboardUnitOfWork, viewer: Viewer, now: datetime) -> OperatorOverview:
    _require_operator(viewer)
    today = now.date()
    first = today - timedelta(days=CHART_DAYS - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    per_day = uow.operator.provisioned_per_day(since)
    days = [first + timedelta(days=i) for i in range(CHART_DAYS)]
    counted = [(day, per_day.get(day, 0)) for day in days]
    return OperatorOverview(uow.operator.inventory_by_country(), counted, uow.accounts.summaries())


def operator_groups(
    uow: DashboardUnitOfWork, viewer: Viewer, country_code: str, wanted: PageRequest
) -> Page[tuple[DidGroup, Counts]]:
    _require_operator(viewer)
    rows, total = uow.operator.groups_with_counts(country_code, wanted)
    return Page(rows, total, wanted)


def _require_operator(viewer: Viewer) -> None:
    if not viewer.operator:
        raise Unauthorized("The operator's view is for operator accounts.")
