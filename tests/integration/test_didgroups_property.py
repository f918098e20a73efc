"""For random inventories and filters, the endpoint returns exactly what a plain
Python filter over the same data selects."""

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from faxnum.domain.numbers import GroupSpec, NumberType
from faxnum.numbering.countries import all_countries
from faxnum.services.inventory import add_country_reference_data
from faxnum.store.db.database import Database
from faxnum.store.db.tables import area_codes, did_groups
from tests.factories import add_account

CITIES = [
    "WINNIPEG",
    "WINKLER",
    "NEW YORK",
    "NEW YORK MILLS",
    "YORK",
    "MONTRÉAL",
    "A_B",
    "A\\B",
    "AXB",
    "AB",
]
AREAS = ["204", "212", "416", "431"]
COUNTRIES = ["CAN", "USA"]

group_specs = st.lists(
    st.tuples(
        st.sampled_from(COUNTRIES),
        st.sampled_from(AREAS),
        st.sampled_from(CITIES),
        st.sampled_from([None, "MB", "NY"]),
    ),
    min_size=3,
    max_size=16,
    unique_by=lambda g: g[:3],
)
patterns = st.one_of(
    st.none(),
    st.sampled_from(CITIES).flatmap(
        lambda city: st.tuples(
            st.integers(0, len(city)), st.sampled_from(["", "%", "%S", "_%"])
        ).map(lambda cut: city[: cut[0]].lower() + cut[1])
    ),
    st.text(alphabet="AB_%\\X", max_size=4),
)


def oracle_matches(pattern: str, city: str) -> bool:
    """Anchored match where `%` is the only wildcard: greedy piece-by-piece scan."""
    pieces = pattern.upper().split("%")
    if len(pieces) == 1:
        return city == pieces[0]
    if not city.startswith(pieces[0]):
        return False
    position = len(pieces[0])
    for piece in pieces[1:-1]:
        found = city.find(piece, position)
        if found < 0:
            return False
        position = found + len(piece)
    return city[position:].endswith(pieces[-1]) and len(city) - position >= len(pieces[-1])


@pytest.fixture
def world(
    client: TestClient, database: Database
) -> tuple[TestClient, Database, str, dict[str, int]]:
    with database.unit_of_work() as uow:
        uow.catalogue.add_countries(all_countries())
        for country_code in COUNTRIES:
            add_country_reference_data(uow, country_code)
        uow.commit()
    key = add_account(database).api_key
    with database.reader() as uow:
        state_ids = uow.catalogue.state_ids("CAN") | uow.catalogue.state_ids("USA")
    return client, database, key, state_ids


@example(
    specs=[("CAN", "204", "A_B", None), ("CAN", "204", "AXB", None), ("CAN", "204", "AB", None)],
    country="CAN",
    pick_ids=None,
    state=None,
    area=None,
    pattern="a_b",
)
@example(
    specs=[("USA", "212", "A\\B", "NY"), ("USA", "212", "AB", "NY"), ("USA", "212", "AXB", None)],
    country=None,
    pick_ids=None,
    state="NY",
    area="212",
    pattern="A\\%",
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    specs=group_specs,
    country=st.sampled_from([None, "CAN", "usa"]),
    pick_ids=st.one_of(st.none(), st.lists(st.integers(0, 15), min_size=1, max_size=4)),
    state=st.sampled_from([None, "MB", "NY", "ON"]),
    area=st.one_of(st.none(), st.sampled_from(AREAS)),
    pattern=patterns,
)
def test_didgroups_match_a_plain_python_filter(
    world: tuple[TestClient, Database, str, dict[str, int]],
    specs: list[tuple[str, str, str, str | None]],
    country: str | None,
    pick_ids: list[int] | None,
    state: str | None,
    area: str | None,
    pattern: str | None,
) -> None:
    client, database, key, state_ids = world
    with database.unit_of_work() as uow:
        uow._transaction.connection.execute(delete(area_codes))  # type: ignore[union-attr]
        uow._transaction.connection.execute(delete(did_groups))  # type: ignore[union-attr]
        inventory = []
        for country_code, area_code, city, state_code in specs:
            spec = GroupSpec(
                country_code,
                state_code,
                area_code,
                city,
                NumberType.GEOGRAPHIC,
                Decimal(1),
                Decimal(2),
            )
            state_id = state_ids.get(state_code) if state_code else None
            inventory.append(
                (uow.catalogue.add_group(spec, state_id), country_code, area_code, city, state_id)
            )
        uow.commit()

    params: dict[str, str] = {}
    wanted_ids = None
    if pick_ids is not None:
        all_ids = [g[0] for g in inventory] or [1]
        wanted_ids = {all_ids[i % len(all_ids)] + (1000 if i > 12 else 0) for i in pick_ids}
        params["didGroupIds"] = ",".join(map(str, sorted(wanted_ids)))
    state_id = state_ids.get(state) if state else None
    if state is not None:
        params["stateId"] = str(state_id)
    if area is not None:
        params["areaCode"] = area
    if pattern:
        params["cityNamePattern"] = pattern
    path_country = country if country is not None else "%7BcountryCode%7D"

    response = client.get(
        f"/api/v2/countries/{path_country}/didgroups", params=params, headers={"X-API-Key": key}
    )

    assert response.status_code == 200, response.text
    expected = {
        group_id
        for group_id, group_country, group_area, city, group_state in inventory
        if (country is None or group_country == country.upper())
        and (wanted_ids is None or group_id in wanted_ids)
        and (state is None or group_state == state_id)
        and (area is None or group_area == area)
        and (not pattern or oracle_matches(pattern, city))
    }
    assert {g["did_group_id"] for g in response.json()["data"]} == expected
