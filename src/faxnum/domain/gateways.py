"""Fax gateways: the operator's machines that hand faxnum each received fax. Each has a
name and a bearer token (`fxg_`), shown once and kept only as a digest."""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from faxnum.domain.errors import Invalid

TOKEN_PREFIX = "fxg_"  # noqa: S105 (a prefix, not a secret)
_TOKEN_SHAPE = re.compile(r"fxg_[A-Za-z0-9_-]{43}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Gateway:
    id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None


def new_gateway_token() -> str:
    """`fxg_` and 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def is_gateway_token(token: str) -> bool:
    return _TOKEN_SHAPE.fullmatch(token) is not None


def check_gateway_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise Invalid.field(
            "name", "must be 1 to 64 letters, digits, '.', '_' or '-', starting alphanumeric"
        )
    return name
