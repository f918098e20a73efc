"""Which webhook URLs faxnum may call: https (http only if the operator allows it),
and only addresses on the public internet, checked when the URL is registered and
again before every delivery (a name may resolve elsewhere by then: DNS rebinding).

Refused unless the operator allows private addresses: loopback, private ranges,
link-local (cloud metadata at 169.254.169.254), shared (100.64/10), multicast,
reserved and unspecified addresses, and IPv6 forms of each (mapped IPv4 included).
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

from faxnum.domain.addresses import IPAddress, is_public
from faxnum.domain.errors import Invalid
from faxnum.domain.text import is_plain_text
from faxnum.domain.webhooks import MAX_URL_LENGTH


class UnsafeUrl(Exception):
    """The URL may not be called; the message says why, for the account to read."""


@dataclass(frozen=True)
class OutboundPolicy:
    allow_http: bool = False
    allow_private: bool = False  # also allows http: for receivers on one's own network


def check_url(url: str, policy: OutboundPolicy) -> "httpx.URL":
    """The URL parsed, if its form is acceptable (no address looked up yet)."""
    import httpx  # at the first webhook registered or sent: most processes need neither

    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"is longer than {MAX_URL_LENGTH} characters")
    if any(ord(character) <= 0x20 or ord(character) == 0x7F for character in url):
        raise UnsafeUrl("must not contain spaces or control characters (percent-encode them)")
    if not is_plain_text(url):
        raise UnsafeUrl("must not contain format or invisible characters (percent-encode them)")
    try:
        parsed = httpx.URL(url)
        host, port = parsed.host, parsed.port  # decoding an IDNA host may fail here
    except Exception as error:  # noqa: BLE001 (httpx and idna raise several kinds)
        raise UnsafeUrl(f"is not a URL ({error})") from None
    plain_http_ok = policy.allow_http or policy.allow_private
    if parsed.scheme != "https" and not (parsed.scheme == "http" and plain_http_ok):
        raise UnsafeUrl("must be an https:// URL")
    if not host:
        raise UnsafeUrl("has no host")
    if port is not None and not 1 <= port <= 65535:
        raise UnsafeUrl("has a port outside 1-65535")
    if parsed.userinfo:
        raise UnsafeUrl("must not carry a user name or password; sign requests instead")
    if parsed.fragment:
        raise UnsafeUrl("must not have a #fragment")
    return parsed


def is_allowed(address: IPAddress, policy: OutboundPolicy) -> bool:
    return policy.allow_private or is_public(address)


async def resolve_allowed(url: "httpx.URL", policy: OutboundPolicy) -> list[IPAddress]:
    """Every address the URL's host resolves to, if each one may be called."""
    host = url.host
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        addresses = await _lookup(host, url.port or (443 if url.scheme == "https" else 80))
    for address in addresses:
        if not is_allowed(address, policy):
            if literal is not None:
                raise UnsafeUrl(
                    f"{host} is a loopback, private, link-local or otherwise non-public "
                    "address; webhooks are only sent to the public internet"
                )
            raise UnsafeUrl(_NO_PUBLIC_ADDRESS.format(host=host))
    return addresses


# One answer for a name that resolves nowhere and one that resolves inside: which
# names exist on the operator's network, and where they point, is never told.
_NO_PUBLIC_ADDRESS = (
    "host {host} does not resolve to a public address; webhooks are only sent to the "
    "public internet"
)


async def _lookup(host: str, port: int) -> list[IPAddress]:
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeUrl(_NO_PUBLIC_ADDRESS.format(host=host)) from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(item[4][0]) for item in found))
    if not addresses:
        raise UnsafeUrl(_NO_PUBLIC_ADDRESS.format(host=host))
    return addresses


async def registration_url(url: str, policy: OutboundPolicy) -> str:
    """The URL if an endpoint may be registered with it: its form, and every address it
    resolves to now (refused now rather than at the first delivery)."""
    try:
        await resolve_allowed(check_url(url, policy), policy)
    except UnsafeUrl as unsafe:
        raise Invalid.field("url", str(unsafe)) from None
    return url
