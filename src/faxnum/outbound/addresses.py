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

import httpx

from faxnum.domain.webhooks import MAX_URL_LENGTH

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(Exception):
    """The URL may not be called; the message says why, for the account to read."""


@dataclass(frozen=True)
class OutboundPolicy:
    allow_http: bool = False
    allow_private: bool = False  # also allows http: for receivers on one's own network


def check_url(url: str, policy: OutboundPolicy) -> httpx.URL:
    """The URL parsed, if its form is acceptable (no address looked up yet)."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"is longer than {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as error:
        raise UnsafeUrl(f"is not a URL ({error})") from None
    plain_http_ok = policy.allow_http or policy.allow_private
    if parsed.scheme != "https" and not (parsed.scheme == "http" and plain_http_ok):
        raise UnsafeUrl("must be an https:// URL")
    if not parsed.host:
        raise UnsafeUrl("has no host")
    if parsed.userinfo:
        raise UnsafeUrl("must not carry a user name or password; sign requests instead")
    if parsed.fragment:
        raise UnsafeUrl("must not have a #fragment")
    return parsed


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_allowed(address: IPAddress, policy: OutboundPolicy) -> bool:
    if policy.allow_private:
        return True
    return all(
        candidate.is_global and not candidate.is_multicast
        for candidate in (address, *_embedded_ipv4(address))
    )


def _embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 one leads to (mapped, NAT64, 6to4, Teredo): each must
    be public too."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = [address.ipv4_mapped, address.sixtofour]
    if address in NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.teredo is not None:
        found.extend(address.teredo)
    return [candidate for candidate in found if candidate is not None]


async def resolve_allowed(url: httpx.URL, policy: OutboundPolicy) -> list[IPAddress]:
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
            shown = host if literal is not None else f"{host} resolves to {address}, which"
            raise UnsafeUrl(
                f"{shown} is a loopback, private, link-local or otherwise non-public "
                "address; webhooks are only sent to the public internet"
            )
    return addresses


async def _lookup(host: str, port: int) -> list[IPAddress]:
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeUrl(f"host {host} does not resolve ({error})") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(item[4][0]) for item in found))
    if not addresses:
        raise UnsafeUrl(f"host {host} does not resolve")
    return addresses
