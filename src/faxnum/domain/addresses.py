"""Which addresses faxnum lets anyone make it (or its SIP edge) reach: public ones.
Webhook URLs and trunk URIs share the rule, so an account cannot aim either at the
operator's own network or a cloud's metadata service."""

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
# Names that only ever mean a machine on the operator's side (RFC 6761, RFC 6762, and
# the names cloud providers give their internal hosts).
PRIVATE_NAME_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")


def is_public(address: IPAddress) -> bool:
    """IPv4: public. IPv6: global unicast (2000::/3) and public, whatever IPv4 address it
    carries (6to4, Teredo) public too; other IPv6 forms that carry an IPv4 address
    (compatible, SIIT, NAT64) are refused, a mapped one is judged as its IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if address not in GLOBAL_UNICAST:
            return False
        carried = [address.sixtofour, *(address.teredo or ())]
        if not all(v4 is None or is_public(v4) for v4 in carried):
            return False
    return address.is_global and not address.is_multicast


def is_private_name(host: str) -> bool:
    """`localhost` (and the hosts files' localhost4, localhost6, ip6-localhost, ...) and
    names under the suffixes above, however spelt (case, final dot)."""
    name = host.lower().rstrip(".")
    first = name.split(".", 1)[0]
    return first.startswith(("localhost", "ip6-")) or name.endswith(PRIVATE_NAME_SUFFIXES)
