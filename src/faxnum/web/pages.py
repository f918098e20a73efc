"""How dashboard pages are answered: templates, the session cookie, CSRF tokens and
the page security policy. The handlers (`web/routes.py`) stay free of all that."""

import secrets
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadData, URLSafeTimedSerializer

from faxnum import __version__
from faxnum.api.edge.errors import status_of
from faxnum.api.state import state_of
from faxnum.domain.errors import DomainError
from faxnum.services.dashboard import SESSION_LIFETIME, Viewer, session_digest

if TYPE_CHECKING:
    from fastapi.templating import Jinja2Templates

HERE = Path(__file__).parent
SESSION_COOKIE = "faxnum_session"
# Binds the CSRF token of the login and sign-up forms, before any session exists.
VISITOR_COOKIE = "faxnum_visitor"
COOKIE_PATH = "/dashboard"
CSRF_FIELD = "csrf_token"
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@cache
def _templates() -> "Jinja2Templates":
    """Jinja2, loaded with the first page shown: an API-only process never needs it."""
    from fastapi.templating import Jinja2Templates

    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["static"] = lambda name: f"/dashboard/static/{name}?v={__version__}"
    templates.env.globals["money"] = lambda amount: f"{Decimal(amount):.2f}"
    return templates


def _signer(request: Request) -> URLSafeTimedSerializer:
    """itsdangerous tokens under the operator's secrets (the newest signs; older ones
    still verify after `faxnum secret rotate`)."""
    keys = list(reversed(state_of(request).settings.effective_secrets))
    return URLSafeTimedSerializer(keys, salt="faxnum-dashboard-csrf")


def csrf_binding(request: Request) -> str | None:
    """What this browser's CSRF tokens are bound to: its session (by digest), else its
    visitor cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        return "session:" + session_digest(token)
    visitor = request.cookies.get(VISITOR_COOKIE)
    return "visitor:" + visitor if visitor else None


def csrf_token_for(request: Request, binding: str) -> str:
    return str(_signer(request).dumps(binding))


def csrf_ok(request: Request, submitted: object) -> bool:
    binding = csrf_binding(request)
    if binding is None or not isinstance(submitted, str) or len(submitted) > 500:
        return False
    try:
        found = _signer(request).loads(submitted, max_age=int(SESSION_LIFETIME.total_seconds()))
    except BadData:
        return False
    return bool(secrets.compare_digest(str(found), binding))


def render(
    request: Request,
    template: str,
    title: str,
    viewer: Viewer | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """A page, with a CSRF token for its forms (a visitor cookie set when needed)."""
    binding = csrf_binding(request)
    new_visitor = None
    if binding is None:
        new_visitor = secrets.token_urlsafe(24)
        binding = "visitor:" + new_visitor
    notice = NOTICES.get(request.query_params.get("done", ""))
    response = _templates().TemplateResponse(
        request,
        template,
        {
            "title": title,
            "viewer": viewer,
            "csrf_token": csrf_token_for(request, binding),
            "notice": notice,
            **context,
        },
        status_code=status_code,
        headers={"content-security-policy": PAGE_POLICY},  # no-store is added for all
    )
    if new_visitor is not None:
        set_cookie(request, response, VISITOR_COOKIE, new_visitor)
    return response


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """HttpOnly, SameSite=Lax, Secure when the dashboard is reached over HTTPS (or
    when FAXNUM_DASHBOARD_SECURE_COOKIES says it always is)."""
    response.set_cookie(
        name,
        value,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or state_of(request).settings.dashboard_secure_cookies,
    )


def problem_page(
    request: Request, viewer: Viewer | None, title: str, problem: DomainError
) -> Response:
    """A refusal as a page, with the status the API gives the same refusal."""
    return render(
        request, "message.html", title, viewer, status_code=status_of(problem),
        error=problem.message,
    )  # fmt: skip


def redirect(to: str) -> RedirectResponse:
    return RedirectResponse(to, status_code=303)


# Messages after a redirect, by code: nothing a request sends is shown back.
NOTICES = {
    "provisioned": "The number is yours: it is listed below and charged to your balance.",
    "ordered": "Your order went through: the numbers are listed below.",
    "released": "The number was released.",
    "reserved": "The number is held for you: order it before the reservation expires.",
    "rotated": "A new API key replaced the old one, which no longer works.",
    "signed-up": "Welcome! Your account and its API key are ready.",
}
