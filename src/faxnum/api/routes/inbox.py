"""Received faxes: v2's `/incoming-faxes`, the `/inbox/{id}` extension, and the file and
preview links.

A link carries a signed, expiring token and opens without the key; without a valid
token the same URL takes the caller's key like every v2 endpoint. The PDF and the
preview are made on the first request (in a thread: converting is CPU work), kept
with the fax, and sent a chunk at a time.
"""

import asyncio
import logging
import tempfile
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import StreamingResponse

from faxnum.api.edge.auth import Holder, count_request, key_holder
from faxnum.api.inbox_schemas import (
    InboxFaxData,
    InboxFaxResponse,
    IncomingFax,
    IncomingFaxesResponse,
)
from faxnum.api.openapi import AUTHENTICATED
from faxnum.api.params import ID_SCHEMA, Paging, parse_id
from faxnum.api.responses import documented, page_meta, success
from faxnum.api.state import AppState, state_of
from faxnum.domain.errors import Conflict, NotFound
from faxnum.domain.faxes import Fax, Rendition
from faxnum.domain.routing import dialled_number
from faxnum.services.inbox import (
    call_facts,
    delete_fax,
    inbox_item,
    inbox_page,
    keep_rendition,
    read_chunk,
    stored_rendition,
    visible_fax,
)
from faxnum.services.ports.faxes import InboxUnitOfWork

router = APIRouter(tags=["fax receiving"])
links_router = APIRouter(tags=["fax receiving"])
FaxIdPath = Annotated[str, Path(json_schema_extra=ID_SCHEMA, description="From the inbox.")]
RecipientPath = Annotated[
    str,
    Path(
        json_schema_extra={"type": "string", "pattern": r"^\+?[0-9]{1,15}$"},
        description="The number's digits, with or without '+'.",
    ),
]
_log = logging.getLogger(__name__)
SPOOL_IN_MEMORY = 1024 * 1024  # past this, a file being made spills to disk
_MEDIA = {Rendition.PDF: "application/pdf", Rendition.PREVIEW: "image/png"}


def _inbox(request: Request, found: Any, state: AppState) -> Response:
    now = state.clock()
    items = [
        IncomingFax.model_validate(inbox_item(fax, state.fax_links, now)) for fax in found.items
    ]
    return success(
        IncomingFaxesResponse(
            inbox=items, meta=page_meta(request, found, state.settings.public_url)
        )
    )


@router.get(
    "/incoming-faxes",
    response_model=None,
    responses=documented(IncomingFaxesResponse, 401, 403, 422),
    openapi_extra=AUTHENTICATED,
    summary="The caller's received faxes (and its sub-accounts'), newest first",
)
async def incoming_faxes(request: Request, holder: Holder, paging: Paging) -> Response:
    state = state_of(request)
    found = await holder.read(inbox_page, wanted=paging)
    return _inbox(request, found, state)


@router.get(
    "/incoming-faxes/{recipient}",
    response_model=None,
    responses=documented(
        IncomingFaxesResponse, 401, 403, 404, 422, reasons={404: "The caller never held the number"}
    ),
    openapi_extra=AUTHENTICATED,
    summary="The faxes received on one number, newest first",
)
async def incoming_faxes_to(
    request: Request, recipient: RecipientPath, holder: Holder, paging: Paging
) -> Response:
    state = state_of(request)
    found = await holder.read(
        inbox_page,
        wanted=paging,
        number=dialled_number(recipient, "recipient"),
    )
    return _inbox(request, found, state)


def _detail(fax: Fax, state: AppState) -> Response:
    item = inbox_item(fax, state.fax_links, state.clock())
    return success(InboxFaxResponse(data=InboxFaxData.of(item, call_facts(fax))))


@router.get(
    "/inbox/{fax_id}",
    response_model=None,
    responses=documented(InboxFaxResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="One received fax, with what the gateway reported of the call",
)
async def get_inbox_fax(request: Request, fax_id: FaxIdPath, holder: Holder) -> Response:
    state = state_of(request)
    fax = await holder.read(visible_fax, fax_id=parse_id("fax_id", fax_id))
    return _detail(fax, state)


@router.delete(
    "/inbox/{fax_id}",
    response_model=None,
    responses=documented(InboxFaxResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="Delete a received fax, its file and its record, now",
)
async def delete_inbox_fax(request: Request, fax_id: FaxIdPath, holder: Holder) -> Response:
    state = state_of(request)
    fax = await holder.write(
        delete_fax,
        fax_id=parse_id("fax_id", fax_id),
        now=state.clock(),
    )
    return _detail(fax, state)


_LINK_QUERY = [
    {"name": "expires", "in": "query", "required": False, "schema": {"type": "string"}},
    {"name": "signature", "in": "query", "required": False, "schema": {"type": "string"}},
]


@links_router.get(
    "/receivefax/api/v1/inbox/{fax_id}/file",
    response_model=None,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The fax as a PDF"},
        **documented(IncomingFax, 401, 403, 404, 422),
    },
    openapi_extra={**AUTHENTICATED, "parameters": _LINK_QUERY},
    summary="A received fax as a PDF (a signed link, or the caller's key)",
)
async def fax_file(request: Request, fax_id: FaxIdPath) -> Response:
    return await _rendition(request, parse_id("fax_id", fax_id), Rendition.PDF)


@links_router.get(
    "/receivefax/api/v1/inbox/{fax_id}/preview",
    response_model=None,
    responses={
        200: {"content": {"image/png": {}}, "description": "Page 1 as a PNG"},
        **documented(IncomingFax, 401, 403, 404, 422),
    },
    openapi_extra={**AUTHENTICATED, "parameters": _LINK_QUERY},
    summary="Page 1 of a received fax as a PNG (a signed link, or the caller's key)",
)
async def fax_preview(request: Request, fax_id: FaxIdPath) -> Response:
    return await _rendition(request, parse_id("fax_id", fax_id), Rendition.PREVIEW)


async def _rendition(request: Request, fax_id: int, rendition: Rendition) -> Response:
    state = state_of(request)
    fax = await _signed_for(request, fax_id, rendition)
    if fax is None:  # no valid link: the caller's key, as on every v2 endpoint
        holder = await key_holder(request)  # 401 without a key
        fax = await holder.read(visible_fax, fax_id=fax_id)
    chunks, size = await state.database.read(
        partial(stored_rendition, fax_id=fax.id, rendition=rendition)
    )
    if chunks == 0:
        await _made_once(state, fax, rendition)
        chunks, size = await state.database.read(
            partial(stored_rendition, fax_id=fax.id, rendition=rendition)
        )
        if chunks == 0:
            raise NotFound(f"Fax {fax_id} not found.")  # deleted while it was being made
    headers = {"Content-Length": str(size)}
    if rendition is Rendition.PDF:
        headers["Content-Disposition"] = f'attachment; filename="{fax.filename}"'
    else:
        headers["Content-Disposition"] = f'inline; filename="fax-{fax.id}-page-1.png"'
    return StreamingResponse(
        _stream(state, fax.id, rendition, chunks), media_type=_MEDIA[rendition], headers=headers
    )


async def _signed_for(request: Request, fax_id: int, rendition: Rendition) -> Fax | None:
    """The fax a valid signed link names; None without one. Link requests spend the
    client address's budget (they carry no key whose budget they could spend)."""
    expires = request.query_params.get("expires")
    signature = request.query_params.get("signature")
    if expires is None or signature is None:
        return None
    state = state_of(request)
    address = request.client.host if request.client else "unknown"
    await count_request(request, state.limiter, f"link:{address}")
    fax = await state.database.read(lambda uow: uow.faxes.get(fax_id))
    if fax is None:
        return None
    opens = state.fax_links.opens(fax.id, fax.call_id, rendition, expires, signature, state.clock())
    return fax if opens else None


async def _stream(
    state: AppState, fax_id: int, rendition: Rendition, chunks: int
) -> AsyncIterator[bytes]:
    for seq in range(chunks):
        yield await state.database.read(
            partial(read_chunk, fax_id=fax_id, rendition=rendition, seq=seq)
        )


# Converting decodes pages: one conversion per fax and kind at a time (a second
# request for it waits, then finds it kept), and at most CONVERSIONS at once.
CONVERSIONS = 2
_converting = asyncio.Semaphore(CONVERSIONS)
_making: dict[tuple[int, Rendition], asyncio.Lock] = {}


async def _made_once(state: AppState, fax: Fax, rendition: Rendition) -> None:
    key = (fax.id, rendition)
    lock = _making.setdefault(key, asyncio.Lock())
    try:
        async with lock:
            kept, _ = await state.database.read(
                partial(stored_rendition, fax_id=fax.id, rendition=rendition)
            )
            if kept == 0:
                async with _converting:
                    await _make(state, fax, rendition)
    finally:
        if not lock.locked() and _making.get(key) is lock:
            del _making[key]


async def _make(state: AppState, fax: Fax, rendition: Rendition) -> None:
    """The PDF or preview, made from the original read a chunk at a time into a
    spooled file (on disk past 1 MB), and stored."""
    from faxnum.faxfiles.render import Unshowable, as_pdf, preview_png  # only here

    with (
        tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY) as original,
        tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY) as made,
    ):
        seq = 0
        while True:
            block = await state.database.read(partial(_original_chunk, fax_id=fax.id, seq=seq))
            if block is None:
                break
            original.write(block)
            seq += 1
        if seq == 0:
            raise NotFound(f"Fax {fax.id} not found.")
        convert = as_pdf if rendition is Rendition.PDF else preview_png
        try:
            await asyncio.to_thread(convert, original, fax.format, made)
        except Unshowable as damaged:
            _log.warning("fax %d: its %s cannot be made: %s", fax.id, rendition.value, damaged)
            raise Conflict(
                f"Fax {fax.id}'s file is damaged beyond showing as a "
                f"{'PDF' if rendition is Rendition.PDF else 'preview'}."
            ) from None
        await state.database.write(
            partial(keep_rendition, fax_id=fax.id, rendition=rendition, file=made)
        )


def _original_chunk(uow: InboxUnitOfWork, fax_id: int, seq: int) -> bytes | None:
    return uow.faxes.chunk(fax_id, Rendition.ORIGINAL, seq)
