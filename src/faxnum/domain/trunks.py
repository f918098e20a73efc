"""Trunks: where an account's numbers deliver inbound faxes (a SIP URI)."""

import ipaddress
import re
from dataclasses import dataclass

from faxnum.domain.addresses import is_private_name, is_public
from faxnum.domain.errors import Invalid
from faxnum.domain.text import REFUSED_CHARACTERS

MAX_TRUNK_NAME_LENGTH = 100
MAX_URI_LENGTH = 255
# RFC 3261's SIP-URI, narrowed to what a trunk needs: optional user part, a host name,
# IPv4 or bracketed IPv6 address, optional port, optional `;name=value` parameters.
_USER = r"(?:[A-Za-z0-9\-_.!~'()&=+$,;?/]|%[0-9A-Fa-f]{2})+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_HOST = rf"(?:{_LABEL}(?:\.{_LABEL})*\.?|\[[0-9A-Fa-f:.]{{2,45}}\])"
_PARAM = r";[A-Za-z0-9\-_.!~'()%]+(?:=[A-Za-z0-9\-_.!~'()%\[\]:]+)?"
_PORT = r"6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}"
URI_REGEX = rf"^[Ss][Ii][Pp][Ss]?:(?:{_USER}@)?{_HOST}(?::(?:{_PORT}))?(?:{_PARAM})*$"
# Printable, and something besides spaces (names are stored stripped).
NAME_REGEX = rf"^[^{REFUSED_CHARACTERS}]*[^\s{REFUSED_CHARACTERS}][^{REFUSED_CHARACTERS}]*$"
_URI = re.compile(URI_REGEX)
_TARGET = re.compile(
    rf"^[Ss][Ii][Pp][Ss]?:(?:{_USER}@)?(?P<host>{_HOST})(?::(?:{_PORT}))?(?P<params>(?:{_PARAM})*)$"
)
_NOT_PUBLIC = (
    "is a loopback, private, link-local or otherwise non-public address; trunks are "
    "reached on the public internet only"
)
_NAME = re.compile(NAME_REGEX)


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
    if not _NAME.fullmatch(name):
        raise Invalid.field(
            "name",
            "must have a printable character and no control or invisible characters "
            "(such as bidi overrides or zero-width spaces)",
        )
    if len(name) > MAX_TRUNK_NAME_LENGTH:
        raise Invalid.field("name", f"must be at most {MAX_TRUNK_NAME_LENGTH} characters")
    return name.strip()


def check_sip_uri(uri: str, allow_private: bool = False) -> str:
    """A SIP URI the edge may dial. Its host, and a `maddr` parameter (which overrides
    the host), must be a public address or a name that is not the operator's own
    (`localhost`, `.local`, ...) unless the operator allows private targets. Names are
    not resolved here: the SIP edge's resolver decides at call time."""
    if len(uri) > MAX_URI_LENGTH or not _URI.fullmatch(uri):
        raise Invalid.field(
            "uri",
            "must be a sip: or sips: URI such as sip:fax@pbx.example.com:5060 (port 1 to 65535)",
        )
    if not allow_private:
        for target in _targets(uri):
            refusal = _target_refusal(target)
            if refusal:
                raise Invalid.field("uri", refusal)
    return uri


def _targets(uri: str) -> list[str]:
    parts = _TARGET.fullmatch(uri)
    assert parts is not None, "checked against URI_REGEX first"
    found = [parts["host"]]
    for param in parts["params"].split(";")[1:]:
        name, _, value = param.partition("=")
        if name.lower() == "maddr":
            found.append(value)
    return found


def _target_refusal(target: str) -> str | None:
    """Why the edge may not dial this host, or None."""
    host = target[1:-1] if target.startswith("[") and target.endswith("]") else target
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        return None if is_public(address) else f"{target} {_NOT_PUBLIC}"
    if not host or is_private_name(host):
        return f"{target or 'an empty host'} names a host on the operator's own network"
    return None
