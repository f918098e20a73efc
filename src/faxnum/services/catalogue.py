"""Catalogue reads for clients choosing where to provision from."""

from faxnum.domain.catalogue import DidGroupFilter
from faxnum.domain.errors import NotFound
from faxnum.domain.numbers import DidGroup
from faxnum.numbering.countries import is_known_country
from faxnum.store.uow import UnitOfWork


def find_did_groups(uow: UnitOfWork, wanted: DidGroupFilter) -> list[DidGroup]:
    if wanted.country_code is not None and not is_known_country(wanted.country_code):
        raise NotFound(f"Country {wanted.country_code} not found.")
    return uow.catalogue.groups(wanted)
