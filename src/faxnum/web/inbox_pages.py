"""The dashboard's inbox: received faxes with a preview of page 1, download, and
delete after a confirmation. Same services as the API; the preview and the download
are the API's signed links, taken relative so they open on this dashboard's host."""

from functools import partial
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import Response

from faxnum.api.state import state_of
from faxnum.domain.errors import DomainError
from faxnum.domain.routing import dialled_number
from faxnum.services.dashboard import Viewer
from faxnum.services.inbox import delete_fax, inbox_item, inbox_page, visible_fax
from faxnum.web.forms import form, paging, path_id
from faxnum.web.pages import problem_page, redirect, render


def _relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def inbox(request: Request, viewer: Viewer) -> Response:
    state = state_of(request)
    raw = (request.query_params.get("number") or "").strip()
    try:
        number = dialled_number(raw, "number") if raw else None
        page = await state.database.read(
            partial(
                inbox_page,
                caller=viewer.caller,
                wanted=paging(request),
                number=number,
            )
        )
    except DomainError as problem:
        return problem_page(request, viewer, "Inbox", problem)
    now = state.clock()
    items: list[dict[str, Any]] = []
    for fax in page.items:
        item = inbox_item(fax, state.fax_links, now)
        item["preview_file"] = _relative(item["preview_file"])
        item["file_url"] = _relative(item["file_url"])
        item["received"] = fax.received_at.strftime("%Y-%m-%d %H:%M UTC")
        items.append(item)
    return render(
        request, "inbox.html", "Inbox", viewer, page=page, items=items, number=raw,
        pager_query=f"number={quote(raw)}&" if raw else "",
    )  # fmt: skip


async def delete_page(request: Request, viewer: Viewer) -> Response:
    state = state_of(request)
    fax_id = path_id(request, "fax_id")
    try:
        fax = await state.database.read(partial(visible_fax, caller=viewer.caller, fax_id=fax_id))
    except DomainError as problem:
        return problem_page(request, viewer, "Fax not found", problem)
    return render(request, "fax_delete.html", "Delete a fax", viewer, fax=fax)


async def delete(request: Request, viewer: Viewer) -> Response:
    await form(request)  # the CSRF check
    state = state_of(request)
    fax_id = path_id(request, "fax_id")
    try:
        await state.database.write(
            partial(delete_fax, caller=viewer.caller, fax_id=fax_id, now=state.clock())
        )
    except DomainError as problem:
        return problem_page(request, viewer, "Fax not deleted", problem)
    return redirect("/dashboard/inbox")


PAGES = [
    ("/dashboard/inbox", "GET", inbox),
    ("/dashboard/inbox/{fax_id}/delete", "GET", delete_page),
    ("/dashboard/inbox/{fax_id}/delete", "POST", delete),
]
