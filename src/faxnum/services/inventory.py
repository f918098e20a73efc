"""Loading inventory: idempotent, reporting new and existing DIDs separately."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from faxnum.domain.numbers import GroupSpec
from faxnum.numbering.countries import all_countries, country_dial_code, subdivisions
from faxnum.numbering.geodata import nanp_area_code_states
from faxnum.store.inventory import NewDid
from faxnum.store.uow import UnitOfWork


@dataclass
class LoadSummary:
    groups_created: int = 0
    dids_added: int = 0
    dids_existing: int = 0


def load_groups(uow: UnitOfWork, specs: Iterable[GroupSpec], now: datetime) -> LoadSummary:
    """Create or match each group, add its DIDs not already in inventory; one commit."""
    specs = list(specs)
    summary = LoadSummary()
    uow.catalogue.add_countries(all_countries())
    for country in sorted({spec.country_code for spec in specs}):
        add_country_reference_data(uow, country)
    for spec in specs:
        group_id = uow.catalogue.group_id(*spec.key)
        if group_id is None:
            state_id = uow.catalogue.state_id(spec.country_code, spec.state_code or "")
            group_id = uow.catalogue.add_group(spec, state_id)
            uow.catalogue.ensure_area_code(spec.country_code, spec.area_code, state_id)
            summary.groups_created += 1
        fresh = [NewDid(group_id, number, None) for number in dict.fromkeys(spec.numbers)]
        added = uow.dids.add_missing(fresh, now)
        summary.dids_added += added
        summary.dids_existing += len(spec.numbers) - added
    uow.commit()
    return summary


def add_country_reference_data(uow: UnitOfWork, country_code: str) -> None:
    """States from ISO subdivisions; for NANP, every area code with its state."""
    uow.catalogue.add_states(subdivisions(country_code))
    if country_dial_code(country_code) != 1:
        return
    state_ids = uow.catalogue.state_ids(country_code)
    for area_code, state_code in sorted(nanp_area_code_states().items()):
        if state_code in state_ids:
            uow.catalogue.ensure_area_code(country_code, area_code, state_ids[state_code])


def inventory_is_empty(uow: UnitOfWork) -> bool:
    return uow.catalogue.group_count() == 0
