"""What every request handler may use, built once per process and typed."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import Request

from faxnum.api.edge.payers import KnownPayers
from faxnum.api.edge.ratelimit import RateLimiter
from faxnum.api.edge.route_answers import RouteAnswers
from faxnum.config import Settings
from faxnum.security.fax_links import FaxLinks
from faxnum.security.key_cipher import KeyCipher
from faxnum.store.db.database import Database


@dataclass(frozen=True)
class AppState:
    settings: Settings
    database: Database
    limiter: RateLimiter  # per account tree
    auth_limiter: RateLimiter  # per client address, for register, login, sub-accounts
    change_limiter: RateLimiter  # per account tree: sub-account creation, key rotation
    cipher: KeyCipher
    clock: Callable[[], datetime]
    fax_links: FaxLinks  # signs the links to received faxes
    route_answers: RouteAnswers | None = None  # SQLite: routing answers kept till a commit
    payers: KnownPayers = field(default_factory=KnownPayers)  # whose budget a key spends
    # Gateway tokens seen lately (digest -> gateway id): the upload is read only for a
    # token known live; the fax's own transaction checks it again.
    gateways: KnownPayers = field(default_factory=KnownPayers)


def state_of(request: Request) -> AppState:
    state: AppState = request.app.state.faxnum
    return state
