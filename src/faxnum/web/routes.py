"""The dashboard's pages: thin handlers over the same service functions as the API.

Every form posts a CSRF token (`web/pages.py`); a post without a valid one changes
nothing and gets 403. Pages that need a session redirect to the login page.
"""

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from faxnum.api.edge.auth import count_account_change, count_anonymous_request, count_request
from faxnum.api.edge.errors import status_of
from faxnum.api.state import state_of
from faxnum.domain.catalogue import AvailableNumberFilter, CityPattern, DidGroupFilter
from faxnum.domain.errors import DomainError, Invalid
from faxnum.domain.number_patterns import Anchor, NumberPattern
from faxnum.domain.numbers import DidState
from faxnum.domain.orders import NumbersWanted
from faxnum.domain.pagination import PageRequest
from faxnum.domain.text import is_decimal_number
from faxnum.security.passwords import with_password_work
from faxnum.services.accounts import authenticate, log_in, prepare_registration, register
from faxnum.services.accounts import rotate_key as rotate_account_key
from faxnum.services.billing import balance, ledger_page
from faxnum.services.catalogue import (
    find_available_numbers,
    find_did_groups,
    list_countries,
    list_states,
)
from faxnum.services.dashboard import (
    DashboardUnitOfWork,
    Viewer,
    end_session,
    operator_groups,
    operator_overview,
    start_session,
    viewer_of,
)
from faxnum.services.numbers import list_numbers, number, release
from faxnum.services.orders import place_order
from faxnum.services.provisioning import provision
from faxnum.web import account_pages, inbox_pages
from faxnum.web.chart import bar_chart
from faxnum.web.forms import (
    Refused,
    act_on_path_id,
    form,
    paging,
    path_id,
    read,
    write,
    write_then_redirect,
)
from faxnum.web.pages import SESSION_COOKIE, problem_page, redirect, render, set_cookie

router = APIRouter(include_in_schema=False)
LOGIN = "/dashboard/login"
SEARCH_RESULTS = 50
DID_STATES = [state.value for state in DidState]


async def _viewer(request: Request) -> Viewer | None:
    state = state_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return await read(
        request, partial(viewer_of, cipher=state.cipher, token=token, now=state.clock())
    )


Handler = Callable[[Request, Viewer], Awaitable[Response]]


def _signed_in(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """The handler with the session's viewer; a visitor without one goes to log in."""

    async def page(request: Request) -> Response:
        viewer = await _viewer(request)
        if viewer is None:
            return redirect(LOGIN)
        # The account tree's request budget, as for its API calls: same rules.
        await count_request(request, state_of(request).limiter, f"account:{viewer.caller.payer_id}")
        try:
            return await handler(request, viewer)
        except Refused:
            return _refused(request, viewer)

    return page


def _refused(request: Request, viewer: Viewer | None) -> Response:
    return render(
        request,
        "message.html",
        "Form expired",
        viewer,
        status_code=403,
        error="This form was not sent from this dashboard session (or it expired); "
        "nothing was changed. Open the page again and retry.",
    )


@router.get("/")
async def root() -> Response:
    return redirect("/dashboard")


@router.get("/dashboard/login")
async def login_page(request: Request) -> Response:
    return render(request, "credentials.html", "Log in", None, action=LOGIN, signing_up=False)


@router.post("/dashboard/login")
async def login(request: Request) -> Response:
    await count_anonymous_request(request)
    try:
        fields = await form(request)
    except Refused:
        return _refused(request, None)
    state = state_of(request)
    email = fields.get("email")
    try:
        api_key = await with_password_work(
            partial(log_in, state.database.reader, state.cipher, email, fields.get("password"))
        )
        caller = await read(request, partial(authenticate, api_key=api_key))
    except DomainError as problem:
        return render(
            request, "credentials.html", "Log in", None, status_code=status_of(problem),
            action=LOGIN, signing_up=False, email=email, error=problem.message,
        )  # fmt: skip
    return await _start(request, caller.account_id, "/dashboard")


@router.get("/dashboard/signup")
async def signup_page(request: Request) -> Response:
    return render(
        request, "credentials.html", "Sign up", None, action="/dashboard/signup", signing_up=True
    )


@router.post("/dashboard/signup")
async def signup(request: Request) -> Response:
    await count_anonymous_request(request)
    try:
        fields = await form(request)
    except Refused:
        return _refused(request, None)
    state = state_of(request)
    email = fields.get("email")
    try:
        registration = await with_password_work(
            partial(prepare_registration, email, fields.get("password"), True)
        )
        created = await write(
            request,
            partial(
                register,
                cipher=state.cipher,
                registration=registration,
                now=state.clock(),
                welcome_credit=state.settings.welcome_credit,
            ),
        )
    except DomainError as problem:
        return render(
            request, "credentials.html", "Sign up", None, status_code=status_of(problem),
            action="/dashboard/signup", signing_up=True, email=email, error=problem.message,
        )  # fmt: skip
    return await _start(request, created.account_id, "/dashboard?done=signed-up")


async def _start(request: Request, account_id: int, to: str) -> Response:
    """A new session for the account; the session this browser had before ends."""
    state = state_of(request)
    earlier = request.cookies.get(SESSION_COOKIE)
    if earlier:
        await write(request, partial(end_session, token=earlier, now=state.clock()))
    token = await write(request, partial(start_session, account_id=account_id, now=state.clock()))
    response = redirect(to)
    set_cookie(request, response, SESSION_COOKIE, token)
    return response


@router.post("/dashboard/logout")
async def logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    try:
        await form(request)
    except Refused:
        return _refused(request, None)
    if token:
        now = state_of(request).clock()
        await write(request, partial(end_session, token=token, now=now))
    response = redirect(LOGIN)
    response.delete_cookie(SESSION_COOKIE, path="/dashboard")
    return response


async def _account(request: Request, viewer: Viewer) -> Response:
    caller = viewer.caller
    money = await read(request, partial(balance, caller=caller))
    entries = await read(request, partial(ledger_page, caller=caller, wanted=PageRequest(10, 1)))
    key = viewer.api_key
    return render(
        request, "account.html", "Your account", viewer, email=viewer.email,
        balance=f"{money:.2f}", api_key=key, masked_key=f"{key[:4]}…{key[-4:]}",
        entries=entries.items,
    )  # fmt: skip


async def _rotate(request: Request, viewer: Viewer) -> Response:
    fields = await form(request)
    if fields.get("confirm") != "yes":
        return render(
            request, "message.html", "Key not rotated", viewer, status_code=422,
            error="Tick the box to confirm that the current key stops working.",
        )  # fmt: skip
    await count_account_change(request, viewer.caller.payer_id)
    state = state_of(request)
    await write(
        request,
        partial(
            rotate_account_key,
            cipher=state.cipher,
            account_id=viewer.caller.account_id,
            now=state.clock(),
            replacing=viewer.caller.key_id,
        ),
    )
    return redirect("/dashboard?done=rotated")


async def _ledger(request: Request, viewer: Viewer) -> Response:
    page = await read(request, partial(ledger_page, caller=viewer.caller, wanted=paging(request)))
    return render(request, "ledger.html", "Ledger", viewer, page=page)


async def _numbers(request: Request, viewer: Viewer) -> Response:
    page = await read(request, partial(list_numbers, caller=viewer.caller, wanted=paging(request)))
    return render(request, "numbers.html", "Your numbers", viewer, page=page)


async def _release_page(request: Request, viewer: Viewer) -> Response:
    try:
        found = await read(
            request, partial(number, caller=viewer.caller, number_id=path_id(request, "number_id"))
        )
    except DomainError as problem:
        return problem_page(request, viewer, "Number not found", problem)
    return render(request, "release.html", "Release a number", viewer, number=found)


async def _release(request: Request, viewer: Viewer) -> Response:
    return await act_on_path_id(
        request, viewer, "Not released", release, ("number_id", "number_id"),
        "/dashboard/numbers?done=released",
    )  # fmt: skip


async def _find(request: Request, viewer: Viewer) -> Response:
    query = request.query_params
    countries = await read(request, list_countries)
    country = query.get("country", "").upper()[:3] or None
    chosen: dict[str, Any] = {
        "country": country,
        "area": query.get("area"),
        "city": query.get("city"),
    }
    states: list[Any] = []
    groups = None
    error = None
    if country:
        state_raw = query.get("state", "")
        state_id = int(state_raw) if is_decimal_number(state_raw) and len(state_raw) < 10 else None
        chosen["state"] = state_id
        try:
            states = await read(request, partial(list_states, country_code=country))
            area = (query.get("area") or "").strip() or None
            city = (query.get("city") or "").strip() or None
            if area is not None and not (is_decimal_number(area) and len(area) <= 10):
                raise Invalid.field("area", "must be digits")
            wanted = DidGroupFilter(
                country_code=country,
                state_id=state_id,
                area_code=area,
                city=CityPattern(city[:100]) if city else None,
            )
            groups = await state_of(request).database.read_off_loop(
                partial(find_did_groups, wanted=wanted)
            )
        except DomainError as problem:
            error = problem.message
    return render(
        request, "find.html", "Find numbers", viewer, countries=countries, states=states,
        chosen=chosen, groups=groups, error=error, status_code=422 if error else 200,
    )  # fmt: skip


async def _provision(request: Request, viewer: Viewer) -> Response:
    return await act_on_path_id(
        request, viewer, "Not provisioned", provision, ("group_id", "group_id"),
        "/dashboard/numbers?done=provisioned",
    )  # fmt: skip


async def _search(request: Request, viewer: Viewer) -> Response:
    query = request.query_params
    countries = await read(request, list_countries)
    country = query.get("country", "").upper()[:3] or None
    contains = (query.get("contains") or "").strip()[:20] or None
    found = None
    error = None
    if country:
        try:
            patterns = (NumberPattern.parse(Anchor.CONTAINS, contains),) if contains else ()
            wanted = AvailableNumberFilter(DidGroupFilter(country_code=country), None, patterns)
            found = await state_of(request).database.read_off_loop(
                partial(find_available_numbers, wanted=wanted, page=PageRequest(SEARCH_RESULTS))
            )
        except DomainError as problem:
            error = problem.message
    return render(
        request, "search.html", "Search numbers", viewer, countries=countries, found=found,
        chosen={"country": country, "contains": contains}, error=error,
        status_code=422 if error else 200,
    )  # fmt: skip


async def _order(request: Request, viewer: Viewer) -> Response:
    fields = await form(request)
    chosen = fields.get("numbers") or []
    now = state_of(request).clock()

    def order() -> Callable[[DashboardUnitOfWork], object]:
        if not chosen:
            raise Invalid.field("numbers", "choose at least one number")
        wanted = NumbersWanted(tuple(str(n)[:20] for n in chosen))
        return partial(place_order, caller=viewer.caller, wanted=wanted, now=now)

    return await write_then_redirect(
        request, viewer, "Not ordered", order, "/dashboard/numbers?done=ordered"
    )


def _not_operator(request: Request, viewer: Viewer) -> Response:
    return render(
        request, "message.html", "Operators only", viewer, status_code=403,
        error="The operator's view is for operator accounts.",
    )  # fmt: skip


async def _operator(request: Request, viewer: Viewer) -> Response:
    if not viewer.operator:
        return _not_operator(request, viewer)
    now = state_of(request).clock()
    try:
        overview = await state_of(request).database.read_off_loop(
            partial(operator_overview, viewer=viewer, now=now)
        )
    except DomainError as problem:
        return problem_page(request, viewer, "Operators only", problem)
    return render(
        request, "operator.html", "Operator", viewer, inventory=overview.inventory.items(),
        days=overview.days, accounts=overview.accounts, did_states=DID_STATES,
        chart=bar_chart(overview.days, "Numbers provisioned per day (UTC)"),
    )  # fmt: skip


async def _operator_groups(request: Request, viewer: Viewer) -> Response:
    if not viewer.operator:
        return _not_operator(request, viewer)
    country = request.query_params.get("country", "").upper()[:3]
    wanted = paging(request)
    try:
        page = await read(
            request,
            partial(operator_groups, viewer=viewer, country_code=country, wanted=wanted),
        )
    except DomainError as problem:
        return problem_page(request, viewer, "Operators only", problem)
    return render(
        request, "operator_groups.html", f"DID groups of {country}", viewer, rows=page.items,
        page=page, did_states=DID_STATES, pager_query=f"country={country}&",
    )  # fmt: skip


for path, method, handler in [
    ("/dashboard", "GET", _account),
    ("/dashboard/key/rotate", "POST", _rotate),
    ("/dashboard/ledger", "GET", _ledger),
    ("/dashboard/numbers", "GET", _numbers),
    ("/dashboard/numbers/{number_id}/release", "GET", _release_page),
    ("/dashboard/numbers/{number_id}/release", "POST", _release),
    ("/dashboard/find", "GET", _find),
    ("/dashboard/groups/{group_id}/provision", "POST", _provision),
    ("/dashboard/search", "GET", _search),
    ("/dashboard/order", "POST", _order),
    ("/dashboard/operator", "GET", _operator),
    ("/dashboard/operator/groups", "GET", _operator_groups),
    *account_pages.PAGES,
    *inbox_pages.PAGES,
]:
    router.add_api_route(path, _signed_in(handler), methods=[method])
