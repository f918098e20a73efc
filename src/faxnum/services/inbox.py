"""Received faxes: taken from a gateway into the holder's inbox, listed, shown as PDF
and preview, deleted, and removed when retention ends.

A fax and all its bytes are written in one transaction, so a crash leaves either the
whole fax or nothing. The file is read a chunk at a time from wherever the edge put
it (a spooled upload), so a large fax is never in memory whole.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from faxnum.domain.accounts import Caller
from faxnum.domain.dates import as_utc, rfc3339
from faxnum.domain.errors import Conflict, Invalid, NotFound, existing
from faxnum.domain.faxes import CallFacts, Fax, InspectedFile, Rendition, filesize_text, fingerprint
from faxnum.domain.gateways import Gateway
from faxnum.domain.pagination import Page, PageRequest
from faxnum.domain.webhooks import EventType
from faxnum.security.fax_links import FaxLinks
from faxnum.services.events import emit
from faxnum.services.gateways import gateway_of
from faxnum.services.ports.faxes import InboxUnitOfWork

CHUNK_BYTES = 512 * 1024
LINKS_VALID = timedelta(hours=24)  # in answers and in `fax.received`
RETENTION_BATCH = 200


@dataclass(frozen=True)
class Received:
    fax: Fax
    replayed: bool  # the gateway sent this call before: nothing new was stored


def chunks_of(file: IO[bytes]) -> Iterator[bytes]:
    file.seek(0)
    while block := file.read(CHUNK_BYTES):
        yield block


def receive_fax(
    uow: InboxUnitOfWork,
    gateway_digest: bytes,
    facts: CallFacts,
    inspected: InspectedFile,
    file: IO[bytes],
    links: FaxLinks,
    now: datetime,
) -> Received:
    """The fax in its holder's inbox, with `fax.received` queued; the first answer
    again for a call the gateway gave before with the same file and facts. The
    gateway's token is checked here, in the fax's transaction: one revoked a moment
    ago stores nothing."""
    gateway = gateway_of(uow, gateway_digest)
    digest = fingerprint(facts, inspected.sha256)
    holder = uow.faxes.live_holder(facts.to)
    if holder is None:  # a retry of a call taken before the number was released replays
        earlier = _earlier(uow, gateway, facts.call_id, digest)
        if earlier is None:
            raise NotFound(f"{facts.to} is not a live number here.")
        return earlier
    fax_id = uow.faxes.add_fax(holder, gateway.id, facts, inspected, digest, now)
    if fax_id is None:  # the gateway gave this call before (or a racing retry just did)
        return existing(_earlier(uow, gateway, facts.call_id, digest), "The earlier fax")
    for seq, block in enumerate(chunks_of(file)):
        uow.faxes.add_chunk(fax_id, Rendition.ORIGINAL, seq, block)
    fax = Fax.arrived(fax_id, holder, facts, inspected, now)
    data = {**inbox_item(fax, links, now), "account_id": fax.account_id}
    emit(uow, fax.account_id, EventType.FAX_RECEIVED, data, now)
    uow.commit()
    return Received(fax, replayed=False)


def _earlier(uow: InboxUnitOfWork, gateway: Gateway, call_id: str, digest: str) -> Received | None:
    found = uow.faxes.of_call(gateway.id, call_id)
    if found is None:
        return None
    fax, earlier_digest = found
    if earlier_digest != digest:
        raise Conflict(f"Call {call_id!r} was delivered before with another file or other facts.")
    return Received(fax, replayed=True)


def check_page_count(inspected: InspectedFile, pages: int | None) -> None:
    if pages is not None and pages != inspected.pages:
        raise Invalid.field("pages", f"is {pages}, but the file has {inspected.pages} pages")


def inbox_page(
    uow: InboxUnitOfWork, caller: Caller, wanted: PageRequest, number: str | None = None
) -> Page[Fax]:
    """Newest first. A number the caller never held is not found."""
    if number is not None and not uow.faxes.ever_held(caller.account_id, number):
        raise NotFound(f"Number {number} not found.")
    return Page.of(uow.faxes.page_for(caller.account_id, number, wanted), wanted)


def visible_fax(uow: InboxUnitOfWork, caller: Caller, fax_id: int) -> Fax:
    return existing(uow.faxes.visible(fax_id, caller.account_id), f"Fax {fax_id}")


def delete_fax(uow: InboxUnitOfWork, caller: Caller, fax_id: int, now: datetime) -> Fax:
    """The bytes go now; the record of the call stays until retention, so a gateway
    retrying it is answered as before and nothing comes back."""
    fax = visible_fax(uow, caller, fax_id)
    if not uow.faxes.discard(fax.id, now):
        raise NotFound(f"Fax {fax_id} not found.")
    uow.commit()
    return fax


def stored_rendition(uow: InboxUnitOfWork, fax_id: int, rendition: Rendition) -> tuple[int, int]:
    """How many chunks of `rendition` are kept (0: not made yet), and their bytes."""
    return uow.faxes.stored(fax_id, rendition)


def read_chunk(uow: InboxUnitOfWork, fax_id: int, rendition: Rendition, seq: int) -> bytes:
    return existing(uow.faxes.chunk(fax_id, rendition, seq), f"Part {seq} of fax {fax_id}")


def keep_rendition(
    uow: InboxUnitOfWork, fax_id: int, rendition: Rendition, file: IO[bytes]
) -> None:
    """Store a PDF or preview made from the original; a second request that made it at
    the same moment finds it kept and adds nothing."""
    if uow.faxes.get(fax_id) is None:
        return  # deleted meanwhile
    for seq, block in enumerate(chunks_of(file)):
        if not uow.faxes.add_chunk_once(fax_id, rendition, seq, block):
            return
    uow.commit()


def delete_expired_faxes(
    unit_of_work: Callable[[], InboxUnitOfWork], now: datetime, retention_days: int
) -> int:
    """Faxes that arrived more than `retention_days` ago, deleted with their bytes a
    batch per transaction (each holds the write lock briefly); how many."""
    before, deleted, cursor = now - timedelta(days=retention_days), 0, 0
    while True:
        with unit_of_work() as uow:
            done, after = uow.faxes.purge(before, cursor, RETENTION_BATCH)
            uow.commit()
        deleted += done
        if after is None:
            return deleted
        cursor = after


def php_date(moment: datetime) -> dict[str, Any]:
    """v2's dates as PHP's DateTime serialises them."""
    utc = as_utc(moment).astimezone(UTC)
    return {
        "date": utc.strftime("%Y-%m-%d %H:%M:%S.%f"),
        "timezone_type": 3,
        "timezone": "UTC",
    }


def inbox_item(fax: Fax, links: FaxLinks, now: datetime) -> dict[str, Any]:
    """v2's inbox item; the links open without the key for `LINKS_VALID`."""
    return {
        "id": fax.id,
        "did_id": fax.did_id,
        "filename": fax.filename,
        "filesize": filesize_text(fax.size),
        "number": fax.number,
        "sender": fax.sender,
        "total_pages": fax.total_pages,
        "created_at": php_date(fax.received_at),
        "preview_file": links.url(fax.id, fax.call_id, Rendition.PREVIEW, now, LINKS_VALID),
        "file_url": links.url(fax.id, fax.call_id, Rendition.PDF, now, LINKS_VALID),
    }


def call_facts(fax: Fax) -> dict[str, Any]:
    """What the gateway reported, beyond v2's item (the `/inbox/{id}` extension)."""
    return {
        "call_id": fax.call_id,
        "received_at": rfc3339(fax.received_at),
        "remote_station_id": fax.remote_station_id,
        "speed": fax.speed,
        "duration": fax.duration,
        "ecm": fax.ecm,
        "compression": fax.compression,
        "original_format": fax.format.value,
        "account_id": fax.account_id,
    }
