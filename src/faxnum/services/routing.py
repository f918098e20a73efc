"""Routing lookups for the SIP edge: where a call to a number goes, asked by a gateway."""

from faxnum.domain.errors import NotFound
from faxnum.domain.routing import CallRoute
from faxnum.services.gateways import gateway_of
from faxnum.services.ports.faxes import InboxUnitOfWork


def route_for(uow: InboxUnitOfWork, gateway_digest: bytes, number: str) -> CallRoute:
    """The gateway's token checked and the route read in one read transaction: a
    release or a re-route committed before it is seen by it."""
    gateway_of(uow, gateway_digest)
    found = uow.faxes.route_of(number)
    if found is None:
        raise NotFound(f"{number} is not a live number here.")
    return found
