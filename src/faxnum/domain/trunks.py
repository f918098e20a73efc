"""Trunks: where an account's numbers deliver inbound faxes (a SIP URI)."""

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import unquote

from faxnum.domain.addresses import is_private_name, is_public
from faxnum.domain.errors import Invalid
from faxnum.domain.text import REFUSED_CHARACTERS, is_plain_text

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
    if not _NAME.fullmatch(name) or not is_plain_text(name):
        raise Invalid.field(
            "name",
            "must have a printable character and no control, format or invisible "
            "characters (such as bidi overrides, zero-width spaces or tags)",
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
    for target in _targets(uri):
        refusal = _target_refusal(target, allow_private)
        if refusal:
            raise Invalid.field("uri", refusal)
    return uri


def _targets(uri: str) -> list[str]:
    """The URI's host, and every `maddr` parameter's host (its port dropped), with
    escapes decoded as RFC 3261 allows them in parameters."""
    parts = _TARGET.fullmatch(uri)
    assert parts is not None, "checked against URI_REGEX first"
    found = [parts["host"]]
    for param in parts["params"].split(";")[1:]:
        name, _, value = (unquote(part) for part in param.partition("="))
        if name.lower() == "maddr":
            found.append(_without_port(value))
    return found


def _without_port(host: str) -> str:
    """`host:port` without its port; a bare IPv6 address (two colons or more) whole."""
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    if host.count(":") > 1:
        return f"[{host}]"
    return host.split(":", 1)[0]


def _target_refusal(target: str, allow_private: bool) -> str | None:
    """Why the edge may not dial this host, or None. Judged as a resolver would read
    it: `127.1`, `0x7f000001` and `2130706433` are all 127.0.0.1 to inet_aton."""
    if not all("!" <= character <= "~" for character in target):
        # Decoded escapes may hold a NUL (a C resolver stops there: "127.0.0.1\0" is
        # 127.0.0.1), spaces or full-width digits: no host name holds them.
        return f"{target!r} is not a host name"
    if target.startswith("["):
        literal = target[1:-1] if target.endswith("]") else target
        try:  # a zone (fe80::1%lo) names an interface here: judged without it
            address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv6Address(
                literal.split("%", 1)[0]
            )
        except ValueError:
            return f"{target} is not an IPv6 address"
    else:
        ipv4 = _as_ipv4(target)
        if ipv4 is None:
            if not allow_private and (not target or is_private_name(target)):
                return f"{target or 'an empty host'} names a host on the operator's own network"
            if not allow_private and "." not in target.rstrip("."):
                # One label is a name only the edge's own hosts file or search domain
                # knows (its hostname, ip6-localhost): never a customer's PBX.
                return f"{target} is not a fully qualified host name"
            return None
        address = ipv4
    return None if allow_private or is_public(address) else f"{target} {_NOT_PUBLIC}"


def _as_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address a resolver makes of `host` when it spells an IPv4 address in any of
    inet_aton's forms (fewer parts, octal, hex, one number); None for a name. A host
    whose last label is a number or hex is never a name (no top-level domain is)."""
    name = host.rstrip(".")
    try:
        return ipaddress.IPv4Address(socket.inet_aton(name))
    except (OSError, ValueError):  # ValueError: a NUL, which no resolver takes either
        pass
    last = name.rsplit(".", 1)[-1].lower()
    if last.isdigit() or (last.startswith("0x") and len(last) > 2):
        return ipaddress.IPv4Address("0.0.0.0")  # not an address anyone may dial  # noqa: S104
    return None
