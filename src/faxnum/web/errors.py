"""Refusals raised outside the dashboard's handlers (an unknown page, a wrong method,
a spent request budget) answered as pages under /dashboard and as the API's JSON
envelope everywhere else."""

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from faxnum.api.edge.errors import on_domain_error, on_http_error
from faxnum.domain.errors import DomainError, RateLimited
from faxnum.web.pages import COOKIE_PATH, problem_page, render

_TITLES = {404: "Page not found", 405: "Not possible here"}


def _on_dashboard(request: Request) -> bool:
    path = request.url.path
    return path == COOKIE_PATH or path.startswith(COOKIE_PATH + "/")


async def _domain_error(request: Request, error: Exception) -> Response:
    if not _on_dashboard(request) or not isinstance(error, DomainError):
        return await on_domain_error(request, error)
    page = problem_page(request, None, "Not possible now", error)
    if isinstance(error, RateLimited):
        page.headers["Retry-After"] = str(error.retry_after)
    return page


async def _http_error(request: Request, error: Exception) -> Response:
    if not _on_dashboard(request) or not isinstance(error, HTTPException):
        return await on_http_error(request, error)
    title = _TITLES.get(error.status_code, "Not possible")
    page = render(
        request, "message.html", title, None, status_code=error.status_code,
        error="There is no such page here." if error.status_code == 404 else title + ".",
    )  # fmt: skip
    for name, value in (error.headers or {}).items():
        page.headers[name] = value
    return page


def install_page_errors(app: FastAPI) -> None:
    """After the API's handlers: these take over for dashboard paths only."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(HTTPException, _http_error)
