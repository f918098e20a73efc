"""Page arithmetic for listings (`limit` + 1-based `page`), as v2 clients expect it."""

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

from faxnum.domain.errors import Invalid

T = TypeVar("T")
DEFAULT_LIMIT = 25
MAX_LIMIT = 500


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    page: int = 1

    def __post_init__(self) -> None:
        errors = {}
        if not 1 <= self.limit <= MAX_LIMIT:
            errors["limit"] = [f"must be a whole number from 1 to {MAX_LIMIT}"]
        if not 1 <= self.page <= 2**31 - 1:
            errors["page"] = ["must be a whole number from 1"]
        if errors:
            raise Invalid(errors, "Invalid parameters: " + ", ".join(errors) + ".")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    request: PageRequest

    @classmethod
    def of(cls, found: tuple[list[T], int], request: PageRequest) -> "Page[T]":
        """A repository's (items, total) for `request`."""
        items, total = found
        return cls(items, total, request)

    @property
    def total_pages(self) -> int:
        return max(1, math.ceil(self.total / self.request.limit))

    @property
    def previous_page(self) -> int | None:
        """Past the end, the last page: the page before is not there either."""
        if self.request.page > self.total_pages:
            return self.total_pages
        return self.request.page - 1 if self.request.page > 1 else None

    @property
    def next_page(self) -> int | None:
        return self.request.page + 1 if self.request.page < self.total_pages else None
