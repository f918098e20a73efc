"""Catalogue reads for clients choosing where to provision from."""

from faxnum.domain.catalogue import (
    MAX_SEARCH_RESULTS,
    AreaCode,
    AvailableNumberFilter,
    Country,
    DidGroupFilter,
    State,
)
from faxnum.domain.errors import NotFound
from faxnum.domain.numbers import AvailableNumber, DidGroup
from faxnum.domain.pagination import Page, PageRequest
from faxnum.numbering.countries import is_known_country
from faxnum.services.unit_of_work import UnitOfWork


def _require_country(country_code: str | None) -> None:
    if country_code is not None and not is_known_country(country_code):
        raise NotFound(f"Country {country_code} not found.")


def find_did_groups(uow: UnitOfWork, wanted: DidGroupFilter) -> list[DidGroup]:
    _require_country(wanted.country_code)
    return uow.catalogue.groups(wanted)


def list_countries(uow: UnitOfWork) -> list[Country]:
    """Countries a client can order from: those with at least one DID group."""
    return uow.catalogue.countries_with_groups()


def list_states(uow: UnitOfWork, country_code: str | None) -> list[State]:
    _require_country(country_code)
    return uow.catalogue.states(country_code)


def list_area_codes(
    uow: UnitOfWork, country_code: str | None, state_id: int | None
) -> list[AreaCode]:
    _require_country(country_code)
    if state_id is not None:
        state = uow.catalogue.state(state_id)
        if state is None or (country_code is not None and state.country_code != country_code):
            raise NotFound(
                f"State {state_id} not found" + (f" in {country_code}." if country_code else ".")
            )
    return uow.catalogue.area_codes(country_code, state_id)


def find_available_numbers(
    uow: UnitOfWork, wanted: AvailableNumberFilter, page: PageRequest
) -> Page[AvailableNumber]:
    """Numbers anyone could take now: never one assigned, aging, blocked or reserved."""
    country = wanted.groups.country_code
    assert country is not None, "a country is required"
    _require_country(country)
    dial_code = uow.catalogue.dial_code(country)
    if dial_code is None:  # a real country without inventory
        return Page([], 0, page)
    if page.offset >= MAX_SEARCH_RESULTS:  # beyond what a search pages through
        _, total = uow.catalogue.available(wanted, dial_code, PageRequest(1, 1))
        return Page([], total, page)
    return Page.of(uow.catalogue.available(wanted, dial_code, page), page)
