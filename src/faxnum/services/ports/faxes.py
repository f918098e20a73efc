"""Received faxes and the gateways that deliver them.
What the use cases need from storage for it."""

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from faxnum.domain.faxes import CallFacts, Fax, InspectedFile, LiveHolder, Rendition
from faxnum.domain.gateways import Gateway
from faxnum.domain.pagination import PageRequest
from faxnum.domain.routing import CallRoute
from faxnum.services.unit_of_work import UnitOfWork


class FaxRepository(Protocol):
    def live_holder(self, number: str) -> LiveHolder | None:
        """Who holds the E.164 `number` now, if it is live."""
        ...

    def route_of(self, number: str) -> CallRoute | None:
        """Where a call to the live E.164 `number` goes; None if it is not live."""
        ...

    def add_fax(
        self,
        holder: LiveHolder,
        gateway_id: int,
        facts: CallFacts,
        file: InspectedFile,
        fingerprint: str,
        now: datetime,
    ) -> int | None:
        """The new fax's id; None if this gateway already gave this call."""
        ...

    def of_call(self, gateway_id: int, call_id: str) -> tuple[Fax, str] | None:
        """The fax a gateway gave for a call, and its fingerprint."""
        ...

    def add_chunk(self, fax_id: int, rendition: Rendition, seq: int, data: bytes) -> None: ...

    def add_chunk_once(self, fax_id: int, rendition: Rendition, seq: int, data: bytes) -> bool:
        """False if that chunk exists already."""
        ...

    def chunk(self, fax_id: int, rendition: Rendition, seq: int) -> bytes | None: ...

    def stored(self, fax_id: int, rendition: Rendition) -> tuple[int, int]:
        """How many chunks of `rendition` are kept (0: not made yet), and their bytes."""
        ...

    def get(self, fax_id: int) -> Fax | None:
        """A fax not deleted."""
        ...

    def visible(self, fax_id: int, viewer_id: int) -> Fax | None:
        """A fax of the viewer or of one of its sub-accounts."""
        ...

    def page_for(
        self, viewer_id: int, number: str | None, wanted: PageRequest
    ) -> tuple[list[Fax], int]:
        """Newest first: the viewer's faxes and its sub-accounts' (to `number` only,
        if given); and their total."""
        ...

    def ever_held(self, viewer_id: int, number: str) -> bool: ...

    def discard(self, fax_id: int, now: datetime) -> bool:
        """Its bytes gone and the fax marked deleted (its call still known); False if
        it was deleted already."""
        ...

    def delete(self, fax_ids: Sequence[int]) -> int: ...

    def purge(self, before: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
        """One batch of faxes that arrived before `before`, with their bytes."""
        ...


class GatewayRepository(Protocol):
    def add_gateway(self, name: str, digest: bytes, now: datetime) -> int: ...

    def named(self, name: str) -> Gateway | None: ...

    def all(self) -> list[Gateway]: ...

    def revoke(self, name: str, now: datetime) -> bool: ...

    def by_digest(self, digest: bytes) -> Gateway | None:
        """The gateway whose live token has this digest."""
        ...


class InboxUnitOfWork(UnitOfWork, Protocol):
    """A unit of work that also reaches the faxes and the gateways."""

    @property
    def faxes(self) -> FaxRepository: ...

    @property
    def gateways(self) -> GatewayRepository: ...
