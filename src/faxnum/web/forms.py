"""What every dashboard handler needs from a request: its form (CSRF-checked), page
number and path ids, and the database's read and write paths."""

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response

from faxnum.api.state import state_of
from faxnum.domain.errors import DomainError, NotFound
from faxnum.domain.pagination import PageRequest
from faxnum.domain.text import is_decimal_number
from faxnum.services.dashboard import DashboardUnitOfWork, Viewer
from faxnum.web.pages import CSRF_FIELD, csrf_ok, problem_page, redirect

T = TypeVar("T")
LISTED_FIELDS = {"numbers", "events"}  # fields a form may repeat


class Refused(Exception):
    """A form post without this browser's CSRF token: nothing is done."""


async def form(request: Request) -> dict[str, Any]:
    """The posted fields (lists for LISTED_FIELDS); Refused unless the CSRF token is
    this browser's."""
    posted = await request.form()
    fields: dict[str, Any] = {key: posted.getlist(key) for key in posted}
    token = (fields.get(CSRF_FIELD) or [None])[0]
    if not csrf_ok(request, token):
        raise Refused
    return {key: v if key in LISTED_FIELDS else v[0] for key, v in fields.items()}


def paging(request: Request) -> PageRequest:
    raw = request.query_params.get("page", "1")
    page = int(raw) if is_decimal_number(raw) and len(raw) < 10 else 1
    return PageRequest(page=max(1, page))


def path_id(request: Request, name: str) -> int:
    raw = str(request.path_params[name])
    if not is_decimal_number(raw) or len(raw) > 9:
        raise NotFound("Not found.")
    return int(raw)


async def read(request: Request, work: Callable[[DashboardUnitOfWork], T]) -> T:
    """A use case written for the dashboard's unit of work, which the store's is."""
    return await state_of(request).database.read(work)


async def write(request: Request, work: Callable[[DashboardUnitOfWork], T]) -> T:
    return await state_of(request).database.write(work)


async def write_then_redirect(
    request: Request,
    viewer: Viewer,
    refused: str,
    work: Callable[[], Callable[[DashboardUnitOfWork], object]],
    to: str,
) -> Response:
    """A form post's change: the use case `work()` builds (reading its parameters there,
    so a bad one is refused like the use case's own refusals), then a redirect to `to`;
    a refusal is a page titled `refused`, with the status the API gives it."""
    try:
        await write(request, work())
    except DomainError as problem:
        return problem_page(request, viewer, refused, problem)
    return redirect(to)


async def act_on_path_id(
    request: Request,
    viewer: Viewer,
    refused: str,
    use_case: Callable[..., object],
    ids: tuple[str, str],
    to: str,
) -> Response:
    """A button's change: `use_case` as the viewer, now, on the id the path names;
    `ids` is (the path parameter, the use case's argument)."""
    await form(request)  # the CSRF check
    now = state_of(request).clock()
    path_param, argument = ids
    return await write_then_redirect(
        request, viewer, refused,
        lambda: partial(
            use_case, caller=viewer.caller, now=now, **{argument: path_id(request, path_param)}
        ),
        to,
    )  # fmt: skip
