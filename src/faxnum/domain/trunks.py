"""Trunks: where an account's numbers deliver inbound faxes (a SIP URI)."""

import re
from dataclasses import dataclass

from faxnum.domain.errors import Invalid

MAX_TRUNK_NAME_LENGTH = 100
MAX_URI_LENGTH = 255
# RFC 3261's SIP-URI, narrowed to what a trunk needs: optional user part, a host name,
# IPv4 or bracketed IPv6 address, optional port, optional `;name=value` parameters.
_USER = r"(?:[A-Za-z0-9\-_.!~'()&=+$,;?/]|%[0-9A-Fa-f]{2})+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_HOST = rf"(?:{_LABEL}(?:\.{_LABEL})*\.?|\[[0-9A-Fa-f:.]{{2,45}}\])"
_PARAM = r";[A-Za-z0-9\-_.!~'()%]+(?:=[A-Za-z0-9\-_.!~'()%\[\]:]+)?"
URI_REGEX = rf"^[Ss][Ii][Pp][Ss]?:(?:{_USER}@)?{_HOST}(?::(?P<port>[0-9]{{1,5}}))?(?:{_PARAM})*$"
_URI = re.compile(URI_REGEX)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Trunk:
    id: int
    account_id: int
    name: str
    uri: str | None  # None: not routed yet (an account's first trunk)
    t38: bool
    is_default: bool


@dataclass(frozen=True)
class TrunkChanges:
    """What a PATCH asks to change; None leaves a field as it is."""

    name: str | None = None
    uri: str | None = None
    t38: bool | None = None
    is_default: bool | None = None


def check_trunk_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise Invalid.field("name", "must not be empty")
    if len(name) > MAX_TRUNK_NAME_LENGTH:
        raise Invalid.field("name", f"must be at most {MAX_TRUNK_NAME_LENGTH} characters")
    if _CONTROL.search(name):
        raise Invalid.field("name", "must not contain control characters")
    return name


def check_sip_uri(uri: str) -> str:
    parsed = _URI.fullmatch(uri) if len(uri) <= MAX_URI_LENGTH else None
    if parsed is None:
        raise Invalid.field(
            "uri", "must be a sip: or sips: URI such as sip:fax@pbx.example.com:5060"
        )
    if parsed["port"] is not None and not 1 <= int(parsed["port"]) <= 65535:
        raise Invalid.field("uri", "has a port outside 1 to 65535")
    return uri
