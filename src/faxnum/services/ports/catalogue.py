"""The catalogue: countries, states, area codes and DID groups.
What the use cases need from storage for it."""

from collections.abc import Iterable
from typing import Protocol

from faxnum.domain.catalogue import (
    AreaCode,
    AvailableNumberFilter,
    Country,
    CountryInfo,
    DidGroupFilter,
    State,
    Subdivision,
)
from faxnum.domain.numbers import (
    AvailableNumber,
    DidGroup,
    GroupSpec,
)
from faxnum.domain.pagination import PageRequest


class CatalogueRepository(Protocol):
    def group(self, group_id: int) -> DidGroup | None: ...

    def groups(self, wanted: DidGroupFilter) -> list[DidGroup]: ...

    def group_id(
        self, country_code: str, area_code: str, city_name: str | None, type_: str
    ) -> int | None: ...

    def add_group(self, spec: GroupSpec, state_id: int | None) -> int: ...

    def group_count(self) -> int: ...

    def stock_by_country(self) -> dict[str, int]:
        """Available DIDs per country (alpha-3)."""
        ...

    def countries_with_groups(self) -> list[Country]: ...

    def add_countries(self, infos: Iterable[CountryInfo]) -> None:
        """Insert the countries not yet known."""
        ...

    def states(self, country_code: str | None) -> list[State]: ...

    def state(self, state_id: int) -> State | None: ...

    def state_id(self, country_code: str, code: str) -> int | None: ...

    def state_ids(self, country_code: str) -> dict[str, int]: ...

    def add_states(self, subdivisions: Iterable[Subdivision]) -> None:
        """Insert the states not yet known."""
        ...

    def area_codes(self, country_code: str | None, state_id: int | None) -> list[AreaCode]: ...

    def ensure_area_code(self, country_code: str, area_code: str, state_id: int | None) -> None: ...

    def dial_code(self, country_code: str) -> int | None: ...

    def available(
        self, wanted: AvailableNumberFilter, dial_code: int, page: PageRequest
    ) -> tuple[list[AvailableNumber], int]:
        """Available DIDs matching every filter, in number order; and how many match."""
        ...
