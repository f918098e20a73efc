"""Catalogue queries as plain values: what a client may filter DID groups by."""

import re
from dataclasses import dataclass

from faxnum.domain.errors import Invalid
from faxnum.domain.number_patterns import NumberPattern
from faxnum.domain.numbers import NumberType

_COUNTRY = re.compile(r"[A-Za-z]{3}")
MAX_CITY_PATTERN_LENGTH = 100


def normalise_country(code: str) -> str:
    """ISO 3166-1 alpha-3, case-insensitive on input, upper-case inside."""
    if not _COUNTRY.fullmatch(code):
        raise ValueError("must be an ISO 3166-1 alpha-3 country code, e.g. CAN")
    return code.upper()


@dataclass(frozen=True)
class CityPattern:
    """`cityNamePattern`: anchored at the start; `%` is the only wildcard (any run)."""

    pattern: str

    def __post_init__(self) -> None:
        """Every edge gets the same rules: bounded, and no control characters (PostgreSQL
        refuses NUL)."""
        if len(self.pattern) > MAX_CITY_PATTERN_LENGTH:
            raise Invalid.field(
                "cityNamePattern", f"must be at most {MAX_CITY_PATTERN_LENGTH} characters"
            )
        if any(ord(character) < 0x20 or ord(character) == 0x7F for character in self.pattern):
            raise Invalid.field("cityNamePattern", "must not contain control characters")

    @property
    def parts(self) -> list[str]:
        """Literal pieces between wildcards, upper-cased like stored city names."""
        return self.pattern.upper().split("%")


@dataclass(frozen=True)
class DidGroupFilter:
    country_code: str | None = None
    group_ids: tuple[int, ...] | None = None
    state_id: int | None = None
    city: CityPattern | None = None
    area_code: str | None = None


# A search counts and pages through at most this many matches, so that what it costs is
# bounded by its answer, never by the inventory (a whole country can be millions).
MAX_SEARCH_RESULTS = 10_000


@dataclass(frozen=True)
class AvailableNumberFilter:
    """`/available-numbers`: the DID-group filters (a country required), a number
    type, and vanity patterns on the national number, all of which must match."""

    groups: DidGroupFilter
    type: NumberType | None = None
    patterns: tuple[NumberPattern, ...] = ()


@dataclass(frozen=True)
class Country:
    code: str  # alpha-3
    name: str
    slug: str
    dial_code: int


@dataclass(frozen=True)
class State:
    id: int
    country_code: str
    code: str
    name: str


@dataclass(frozen=True)
class AreaCode:
    country_code: str
    state_id: int | None
    area_code: str


@dataclass(frozen=True)
class CountryInfo:
    """A country as numbering data describes it, to load into the catalogue."""

    alpha3: str
    alpha2: str
    name: str
    slug: str
    dial_code: int


@dataclass(frozen=True)
class Subdivision:
    country_alpha3: str
    code: str  # the part after the hyphen: "MB" for CA-MB
    name: str
