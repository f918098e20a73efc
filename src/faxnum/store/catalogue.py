"""Catalogue queries: countries, states and DID groups with their stock."""

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    func,
    insert,
    literal,
    select,
)

from faxnum.domain.catalogue import (
    MAX_SEARCH_RESULTS,
    AreaCode,
    AvailableNumberFilter,
    CityPattern,
    Country,
    CountryInfo,
    DidGroupFilter,
    State,
    Subdivision,
)
from faxnum.domain.money import to_micros
from faxnum.domain.number_patterns import NumberPattern
from faxnum.domain.numbers import AvailableNumber, DidGroup, DidState, GroupSpec
from faxnum.domain.pagination import PageRequest
from faxnum.store.db.prepared import Prepared
from faxnum.store.db.tables import (
    area_codes,
    countries,
    did_group_stock,
    did_groups,
    dids,
    numbers,
    states,
)
from faxnum.store.group_stock import stock_of_group
from faxnum.store.groups import group_by_id, group_of
from faxnum.store.inventory import (
    BY_GROUP_NUMBER,
    IN_STOCK_ONLY,
    floor_in_range,
    in_stock_in_group,
    stock_floor,
)
from faxnum.store.number_search import MIN_INDEXED_RUN, candidate_ids

# Up to this many matching groups, a search reads their DIDs by group; beyond, it reads
# numbers in order (a country-wide search), which stops as soon as a page is full.
MAX_LISTED_GROUPS = 1000
# A pattern whose indexed runs match more DIDs than this is searched the other roads.
MAX_CANDIDATES = 20_000


def like_pattern(city: CityPattern) -> str:
    """LIKE text where `%` is the only wildcard: `_` and `\\` are escaped."""
    escaped = [part.replace("\\", "\\\\").replace("_", "\\_") for part in city.parts]
    return "%".join(escaped)


def city_matches(
    city_name: ColumnElement[str | None], pattern: ColumnElement[str]
) -> ColumnElement[bool]:
    """The `cityNamePattern` filter on a column of (upper-case) city names, `pattern`
    being the filter as `like_pattern` writes it."""
    return city_name.like(pattern, escape="\\")


def _available_joined(on: ColumnElement[bool]) -> Select[Any]:
    return select(dids.c.number, did_groups).join(did_groups, on)


def _number_range(pattern: NumberPattern, dial_code: int) -> tuple[str | None, str | None]:
    """The numbers a pattern's literal start allows, as [lower, upper); (None, None)
    when it starts with a wildcard."""
    prefix = pattern.literal_prefix(dial_code)
    if prefix is None:
        return None, None
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


# The DID-group filters but ids, bound by name: a listing's statement is built once
# for each set of them (`_listing`).
_GROUP_FILTERS = {
    "group_country": did_groups.c.country_code == bindparam("group_country"),
    "group_state": did_groups.c.state_id == bindparam("group_state"),
    "group_area_code": did_groups.c.area_code == bindparam("group_area_code"),
    "group_city": city_matches(did_groups.c.city_name, bindparam("group_city")),
}


def _filter_values(wanted: DidGroupFilter) -> dict[str, Any]:
    """The values of `wanted`'s filters but ids, by their names in `_GROUP_FILTERS`."""
    values: dict[str, Any] = {
        "group_country": wanted.country_code,
        "group_state": wanted.state_id,
        "group_area_code": wanted.area_code,
        "group_city": None if wanted.city is None else like_pattern(wanted.city),
    }
    return {name: value for name, value in values.items() if value is not None}


def _filtered(query: Select[Any], wanted: DidGroupFilter) -> Select[Any]:
    """The DID-group filters of a catalogue request, on a query over did_groups."""
    values = _filter_values(wanted)
    query = query.where(*(_GROUP_FILTERS[name] for name in values)).params(values)
    if wanted.group_ids is not None:
        query = query.where(did_groups.c.id.in_(wanted.group_ids))
    return query


_LISTED = select(did_groups, stock_of_group().label("stock"))
_LISTING_ORDER = (did_groups.c.country_code, did_groups.c.city_name, did_groups.c.id)


@cache
def _listing(filters: tuple[str, ...]) -> Prepared:
    """The DID-group listing filtered by `filters` (names in `_GROUP_FILTERS`), built and
    compiled once for each set of them: building and compiling it for every request
    would cost as much as running it."""
    query = _LISTED.where(*(_GROUP_FILTERS[name] for name in filters))
    return Prepared(query.order_by(*_LISTING_ORDER))


class CatalogueQueries:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def group(self, group_id: int) -> DidGroup | None:
        return group_by_id(self._db, group_id)

    def group_of_number(self, number_id: int) -> DidGroup:
        row = self._db.execute(
            select(did_groups)
            .join(numbers, numbers.c.did_group_id == did_groups.c.id)
            .where(numbers.c.id == number_id)
        ).one()
        return group_of(row)

    def groups(self, wanted: DidGroupFilter) -> list[DidGroup]:
        """The filters pick the groups; each one's stock is read from its kept count,
        so a listing costs the groups it returns, not the DIDs they hold."""
        if wanted.group_ids is not None:  # a list of any length: built for each request
            query = _filtered(_LISTED, wanted).order_by(*_LISTING_ORDER)
            return [group_of(row) for row in self._db.execute(query)]
        values = _filter_values(wanted)
        return [group_of(row) for row in _listing(tuple(values)).rows(self._db, values)]

    def dial_code(self, country_code: str) -> int | None:
        found = self._db.execute(
            select(countries.c.dial_code).where(countries.c.code == country_code)
        ).scalar()
        return None if found is None else int(found)

    def available(
        self, wanted: AvailableNumberFilter, dial_code: int, page: PageRequest
    ) -> tuple[list[AvailableNumber], int]:
        """Available DIDs matching every filter, in number order; and how many match, up
        to MAX_SEARCH_RESULTS.

        Each search takes one road, whatever the planner's statistics say: the few
        DIDs the trigram index finds for a pattern, by id; else one group's available
        DIDs in number order from its own index (a pattern's literal start narrowing
        the range); else the DIDs of the matching groups, by group; else (a whole
        country) the numbers in order, which
        stops as soon as a page is full. Tests kept off an index (`coalesce`) are those
        whose index would mean reading every DID.
        """
        groups = _filtered(select(did_groups.c.id), wanted.groups)
        if wanted.type is not None:
            groups = groups.where(did_groups.c.type == wanted.type.value)
        group_ids = list(self._db.execute(groups.limit(MAX_LISTED_GROUPS + 1)).scalars())
        if not group_ids:
            return [], 0
        not_by_state = func.coalesce(dids.c.state, "") == DidState.AVAILABLE.value
        in_order: tuple[Any, ...] = (dids.c.number,)
        the_group: DidGroup | None = None  # the one group the DIDs are read from, if one
        runs = [run for p in wanted.patterns for run in p.literal_runs(MIN_INDEXED_RUN)]
        found_ids = candidate_ids(self._db, runs, MAX_CANDIDATES + 1) if runs else []
        if runs and len(found_ids) <= MAX_CANDIDATES:  # the trigram index's few DIDs
            if not found_ids:
                return [], 0
            query = _available_joined(did_groups.c.id == dids.c.did_group_id)
            query = query.where(dids.c.id.in_(found_ids), not_by_state)
        elif len(group_ids) == 1 <= MAX_LISTED_GROUPS:  # one group's, from its index in order
            ranges = [_number_range(p, dial_code) for p in wanted.patterns]
            lowers = [lower for lower, _ in ranges if lower is not None]
            uppers = [upper for _, upper in ranges if upper is not None]
            # The group read on its own, the DIDs without a join: joined, SQLite may
            # read the group first and sort its DIDs, and PostgreSQL order by the
            # group's id and sort them, for every page.
            the_group = self.group(group_ids[0])
            if the_group is None:  # deleted since it was listed
                return [], 0
            start: Any = max(lowers, default="")
            if floor_in_range(self._db):  # from the floor up, as a take reads the stock
                start = func.greatest(stock_floor(group_ids[0]), literal(start))
            query = select(dids.c.number).where(
                *in_stock_in_group(group_ids[0], start, min(uppers, default=None))
            )
            in_order = BY_GROUP_NUMBER
        elif len(group_ids) <= MAX_LISTED_GROUPS:  # the matching groups' DIDs
            query = _available_joined(did_groups.c.id == dids.c.did_group_id).where(
                dids.c.did_group_id.in_(group_ids), IN_STOCK_ONLY
            )
        else:  # a whole country: numbers in order, each group looked up by id
            joined = did_groups.c.id == func.coalesce(dids.c.did_group_id, 0)
            query = _available_joined(joined).where(not_by_state)
        if the_group is None:  # the group filters; one group was listed by them
            query = _filtered(query, wanted.groups)
            if wanted.type is not None:
                query = query.where(did_groups.c.type == wanted.type.value)
        for pattern in wanted.patterns:
            lower, upper = _number_range(pattern, dial_code)
            if lower is not None and upper is not None:  # a range on an index narrows the scan
                query = query.where(dids.c.number >= lower, dids.c.number < upper)
            query = query.where(dids.c.number.like(pattern.like(dial_code)))
        rows = self._db.execute(query.order_by(*in_order).limit(page.limit).offset(page.offset))
        found = [AvailableNumber(row.number, the_group or group_of(row)) for row in rows]
        if not wanted.patterns:  # every available DID of the groups: their kept stock
            kept = select(func.coalesce(func.sum(did_group_stock.c.available), 0)).where(
                did_group_stock.c.did_group_id.in_(groups.scalar_subquery())
            )
            return found, min(MAX_SEARCH_RESULTS, int(self._db.execute(kept).scalar_one()))
        # Counted along the same road as the page (in number order, up to the cap).
        counted = (
            query.with_only_columns(dids.c.id)
            .order_by(*in_order)
            .limit(MAX_SEARCH_RESULTS)
            .subquery()
        )
        total = self._db.execute(select(func.count()).select_from(counted))
        return found, int(total.scalar_one())

    def countries_with_groups(self) -> list[Country]:
        rows = self._db.execute(
            select(countries.c.code, countries.c.name, countries.c.slug, countries.c.dial_code)
            .where(countries.c.code.in_(select(did_groups.c.country_code).distinct()))
            .order_by(countries.c.name)
        )
        return [Country(*row) for row in rows]

    def states(self, country_code: str | None) -> list[State]:
        query = select(states.c.id, states.c.country_code, states.c.code, states.c.name).order_by(
            states.c.country_code, states.c.name
        )
        if country_code is not None:
            query = query.where(states.c.country_code == country_code)
        return [State(*row) for row in self._db.execute(query)]

    def state(self, state_id: int) -> State | None:
        row = self._db.execute(
            select(states.c.id, states.c.country_code, states.c.code, states.c.name).where(
                states.c.id == state_id
            )
        ).first()
        return None if row is None else State(*row)

    def area_codes(self, country_code: str | None, state_id: int | None) -> list[AreaCode]:
        query = select(
            area_codes.c.country_code, area_codes.c.state_id, area_codes.c.area_code
        ).order_by(area_codes.c.country_code, area_codes.c.area_code)
        if country_code is not None:
            query = query.where(area_codes.c.country_code == country_code)
        if state_id is not None:
            query = query.where(area_codes.c.state_id == state_id)
        return [AreaCode(*row) for row in self._db.execute(query)]

    def state_ids(self, country_code: str) -> dict[str, int]:
        rows = self._db.execute(
            select(states.c.code, states.c.id).where(states.c.country_code == country_code)
        )
        return {str(code): int(state_id) for code, state_id in rows}

    def add_countries(self, infos: Iterable[CountryInfo]) -> None:
        known = set(self._db.execute(select(countries.c.code)).scalars())
        rows = [vars(info) | {"code": info.alpha3} for info in infos if info.alpha3 not in known]
        for row in rows:
            del row["alpha3"]
        if rows:
            self._db.execute(insert(countries), rows)

    def add_states(self, subdivisions: Iterable[Subdivision]) -> None:
        known = set(self._db.execute(select(states.c.country_code, states.c.code)))
        rows = [
            {"country_code": s.country_alpha3, "code": s.code, "name": s.name}
            for s in subdivisions
            if (s.country_alpha3, s.code) not in known
        ]
        if rows:
            self._db.execute(insert(states), rows)

    def state_id(self, country_code: str, code: str) -> int | None:
        found = self._db.execute(
            select(states.c.id).where(
                and_(states.c.country_code == country_code, states.c.code == code)
            )
        ).scalar()
        return None if found is None else int(found)

    def group_id(
        self, country_code: str, area_code: str, city_name: str | None, type_: str
    ) -> int | None:
        found = self._db.execute(
            select(did_groups.c.id).where(
                did_groups.c.country_code == country_code,
                did_groups.c.area_code == area_code,
                did_groups.c.city_name == city_name,
                did_groups.c.type == type_,
            )
        ).scalar()
        return None if found is None else int(found)

    def add_group(self, spec: GroupSpec, state_id: int | None) -> int:
        values = {
            "country_code": spec.country_code,
            "state_id": state_id,
            "area_code": spec.area_code,
            "city_name": spec.city_name,
            "type": spec.type.value,
            "setup_price_micros": to_micros(spec.setup_price),
            "monthly_price_micros": to_micros(spec.monthly_price),
        }
        return int(
            self._db.execute(
                insert(did_groups).values(**values).returning(did_groups.c.id)
            ).scalar_one()
        )

    def ensure_area_code(self, country_code: str, area_code: str, state_id: int | None) -> None:
        known = self._db.execute(
            select(area_codes.c.id).where(
                area_codes.c.country_code == country_code, area_codes.c.area_code == area_code
            )
        ).first()
        if known is None:
            self._db.execute(
                insert(area_codes).values(
                    country_code=country_code, area_code=area_code, state_id=state_id
                )
            )

    def stock_by_country(self) -> dict[str, int]:
        rows = self._db.execute(
            select(did_groups.c.country_code, func.sum(did_group_stock.c.available))
            .join(did_groups, did_groups.c.id == did_group_stock.c.did_group_id)
            .group_by(did_groups.c.country_code)
        )
        return {str(country): int(count) for country, count in rows if count}

    def group_count(self) -> int:
        return int(self._db.execute(select(func.count()).select_from(did_groups)).scalar_one())
