"""Parsing of v2 parameters that FastAPI cannot declare on its own: ids and countries
as text (the published SDKs send unfilled `{placeholder}` path segments), and paging.
"""

import re
from collections.abc import Callable, Mapping
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request

from faxnum.api.body import refuse_body_only
from faxnum.domain.catalogue import normalise_country
from faxnum.domain.errors import Invalid
from faxnum.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageRequest

T = TypeVar("T")
MAX_ID = 2**31 - 1
_ID = re.compile(r"[0-9]{1,10}")
_ID_REASON = f"must be a whole number from 1 to {MAX_ID}"


def parse_id(name: str, raw: str | None) -> int:
    if raw is None or raw == "":
        raise Invalid.field(name, "is required")
    if not _ID.fullmatch(raw) or not 1 <= int(raw) <= MAX_ID:
        raise Invalid.field(name, _ID_REASON)
    return int(raw)


MAX_IDS = 500
# What the domain's CityPattern accepts, declared in the document too: no control
# character (C0 or DEL; PostgreSQL refuses NUL).
CITY_PATTERN_PATTERN = r"^[^\x00-\x1f\x7f]*$"
AREA_CODE_PATTERN = r"^[0-9]{1,10}$"
ID_LIST_PATTERN = rf"^\s*[0-9]{{1,10}}(\s*,\s*[0-9]{{1,10}}){{0,{MAX_IDS - 1}}}\s*$"


def parse_ids(name: str, raw: str) -> tuple[int, ...]:
    """A comma-separated id filter; ids no record can have (0, beyond 2^31) match nothing."""
    parts = [part.strip() for part in raw.split(",")]
    if len(parts) > MAX_IDS:
        raise Invalid.field(name, f"takes at most {MAX_IDS} ids")
    if not all(_ID.fullmatch(part) for part in parts):
        raise Invalid.field(name, "must be comma-separated whole numbers")
    return tuple(dict.fromkeys(int(part) for part in parts if 1 <= int(part) <= MAX_ID))


_PLACEHOLDER = re.compile(r"\{[A-Za-z_]+\}")


def is_placeholder(segment: str) -> bool:
    """An SDK left a `{name}` path segment unfilled (it arrives URL-decoded)."""
    return _PLACEHOLDER.fullmatch(segment) is not None


def country_segment(segment: str) -> str | None:
    """An alpha-3 country from the path; None for an unfilled placeholder (all countries)."""
    if is_placeholder(segment):
        return None
    try:
        return normalise_country(segment)
    except ValueError as exc:
        raise Invalid.field("country_code", str(exc)) from exc


class QueryParameters:
    """Parameters read from the query string by the endpoint itself, each through its
    own parser, every malformed one named in one refusal (`check`)."""

    def __init__(self, query: Mapping[str, str]) -> None:
        self._query = query
        self._errors: dict[str, list[str]] = {}

    def get(self, name: str, parse: Callable[[str], T]) -> T | None:
        """The parsed value; None if absent, or malformed (then `check` refuses)."""
        raw = self._query.get(name)
        if raw is None:
            return None
        try:
            return parse(raw)
        except Invalid as malformed:
            self._errors.update(malformed.errors)
            return None

    def check(self) -> None:
        if self._errors:
            raise Invalid.naming(self._errors)


# The documented shape of an id parameter. Handlers take ids as text (the published
# SDKs may send an unfilled `{placeholder}` instead) and check them with parse_id.
ID_SCHEMA: dict[str, object] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
COUNTRY_SCHEMA: dict[str, object] = {
    "type": "string",
    "pattern": "^[A-Za-z]{3}$",
    "description": "ISO 3166-1 alpha-3, any case.",
}


async def page_request(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = DEFAULT_LIMIT,
    page: Annotated[int, Query(ge=1, le=MAX_ID, description="1-based page number.")] = 1,
) -> PageRequest:
    await refuse_body_only(request, "limit", "page")
    return PageRequest(limit, page)


Paging = Annotated[PageRequest, Depends(page_request)]
