"""Loading inventory: DID groups matched or created by what defines them, DIDs added
when missing (idempotent, new and existing counted apart), and the inventory read back.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from faxnum.domain.numbers import GroupSpec, InventoryLine, NewDid, NumberType
from faxnum.numbering.countries import all_countries, country_dial_code, subdivisions
from faxnum.numbering.geodata import nanp_area_code_states
from faxnum.services.unit_of_work import UnitOfWork

GroupKey = tuple[str, str, str | None, NumberType]


@dataclass
class LoadSummary:
    groups_created: int = 0
    dids_added: int = 0
    dids_existing: int = 0


class GroupResolver:
    """Group ids by (country, area code, city, type), looked up or created once each.

    A country's reference data (states, NANP area codes) is loaded the first time one of
    its groups is resolved. Ids created in a transaction are remembered only once
    `committed()` says that transaction is kept.
    """

    def __init__(self) -> None:
        self._ids: dict[GroupKey, int] = {}
        self._pending: dict[GroupKey, int] = {}
        self._countries_ready: set[str] = set()
        self.created = 0

    def resolve(self, uow: UnitOfWork, spec: GroupSpec) -> int:
        key = spec.key
        known = self._ids.get(key) or self._pending.get(key)
        if known is not None:
            return known
        self._prepare_country(uow, spec.country_code)
        group_id = uow.catalogue.group_id(*key)
        if group_id is None:
            state_id = (
                uow.catalogue.state_id(spec.country_code, spec.state_code)
                if spec.state_code
                else None
            )
            group_id = uow.catalogue.add_group(spec, state_id)
            uow.catalogue.ensure_area_code(spec.country_code, spec.area_code, state_id)
            self.created += 1
        self._pending[key] = group_id
        return group_id

    def committed(self) -> None:
        self._ids.update(self._pending)
        self._pending.clear()

    def _prepare_country(self, uow: UnitOfWork, country_code: str) -> None:
        if country_code in self._countries_ready:
            return
        if not self._countries_ready:
            uow.catalogue.add_countries(all_countries())
        add_country_reference_data(uow, country_code)
        self._countries_ready.add(country_code)


def add_country_reference_data(uow: UnitOfWork, country_code: str) -> None:
    """States from ISO subdivisions; for NANP, every area code with its state."""
    uow.catalogue.add_states(subdivisions(country_code))
    if country_dial_code(country_code) != 1:
        return
    state_ids = uow.catalogue.state_ids(country_code)
    for area_code, state_code in sorted(nanp_area_code_states().items()):
        if state_code in state_ids:
            uow.catalogue.ensure_area_code(country_code, area_code, state_ids[state_code])


def load_groups(uow: UnitOfWork, specs: Iterable[GroupSpec], now: datetime) -> LoadSummary:
    """Create or match each group, add its DIDs not already in inventory; one commit."""
    resolver = GroupResolver()
    summary = LoadSummary()
    for spec in specs:
        group_id = resolver.resolve(uow, spec)
        fresh = [NewDid(group_id, number, None) for number in dict.fromkeys(spec.numbers)]
        added = uow.dids.add_missing(fresh, now)
        summary.dids_added += added
        summary.dids_existing += len(spec.numbers) - added
    uow.commit()
    resolver.committed()
    summary.groups_created = resolver.created
    return summary


def inventory_lines(uow: UnitOfWork) -> Iterator[InventoryLine]:
    """Every DID with its group's defining fields, in number order, streamed."""
    return uow.dids.inventory()


def inventory_is_empty(uow: UnitOfWork) -> bool:
    return uow.catalogue.group_count() == 0
