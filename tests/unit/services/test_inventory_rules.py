"""Inventory: numbers join the group of their country, area code, city and type, created
once; loading and importing share that rule and are idempotent."""

from decimal import Decimal

from faxnum.services.inventory import inventory_lines, load_groups
from faxnum.services.inventory_import import InventoryRow, import_inventory
from tests.factories import real_numbers
from tests.fakes import FakeStore
from tests.unit.services.conftest import NOW, WINNIPEG, winnipeg_spec

LEEDS = real_numbers("GB", "Leeds", 2)


def rows(*numbers: str, **columns: str) -> list[InventoryRow]:
    return [InventoryRow(line, number, **columns) for line, number in enumerate(numbers, 2)]


def run_import(store: FakeStore, items: list[InventoryRow], batch_size: int = 5000):  # type: ignore[no-untyped-def]
    return import_inventory(
        store.unit_of_work, items, Decimal("1.00"), Decimal("2.00"), NOW, batch_size=batch_size
    )


def test_numbers_sharing_country_area_code_city_and_type_share_one_group(
    store: FakeStore,
) -> None:
    report = run_import(store, rows(*WINNIPEG, *LEEDS), batch_size=2)

    assert (report.added, report.groups_created, report.rejected) == (5, 2, [])
    groups = {(g.country_code, g.area_code, g.city_name) for g in store.tables.groups.values()}
    assert groups == {("CAN", "204", "WINNIPEG"), ("GBR", "113", "LEEDS")}
    winnipeg = next(g for g in store.tables.groups.values() if g.city_name == "WINNIPEG")
    manitoba = store.tables.states[winnipeg.state_id or 0]
    assert (manitoba.country_code, manitoba.code) == ("CAN", "MB")


def test_importing_into_a_loaded_group_joins_it_instead_of_making_another(
    store: FakeStore,
) -> None:
    with store.unit_of_work() as uow:
        load_groups(uow, [winnipeg_spec(WINNIPEG[:1])], NOW)

    report = run_import(store, rows(*WINNIPEG))

    assert (report.added, report.existing, report.groups_created) == (2, 1, 0)
    assert len(store.tables.groups) == 1


def test_a_second_import_of_the_same_rows_adds_nothing(store: FakeStore) -> None:
    run_import(store, rows(*WINNIPEG))
    again = run_import(store, rows(*WINNIPEG))
    assert (again.added, again.existing, again.groups_created) == (0, 3, 0)


def test_a_city_column_makes_its_own_group_and_prices_apply_to_new_groups(
    store: FakeStore,
) -> None:
    run_import(store, rows(WINNIPEG[0]))
    report = run_import(
        store, rows(WINNIPEG[1], city="St. Boniface", setup_price="0.50", monthly_price="1.25")
    )
    assert report.groups_created == 1
    cities = {g.city_name: (g.setup_price, g.monthly_price) for g in store.tables.groups.values()}
    assert cities == {
        "WINNIPEG": (Decimal("1.00"), Decimal("2.00")),
        "ST. BONIFACE": (Decimal("0.50"), Decimal("1.25")),
    }


def test_rejected_rows_say_why_and_leave_the_rest_imported(store: FakeStore) -> None:
    report = run_import(
        store,
        [
            InventoryRow(2, WINNIPEG[0], country="GBR"),
            InventoryRow(3, WINNIPEG[1]),
            InventoryRow(4, WINNIPEG[1]),
            InventoryRow(5, WINNIPEG[2], area_code="999"),
        ],
    )
    assert [(r.line, r.reason) for r in report.rejected] == [
        (2, "number belongs to CAN, not GBR"),
        (4, "duplicate of line 3"),
        (5, f"area code 999 does not match the number ({WINNIPEG[2][2:5]})"),
    ]
    with store.unit_of_work() as uow:
        assert [line.number for line in inventory_lines(uow)] == [WINNIPEG[1]]


def test_a_country_column_may_be_alpha_2_in_any_case(store: FakeStore) -> None:
    report = run_import(store, rows(LEEDS[0], country="gb") + rows(WINNIPEG[0], country="cAn"))
    assert (report.added, report.rejected) == (2, [])


def test_a_type_column_contradicting_the_number_is_a_reject(store: FakeStore) -> None:
    report = run_import(store, rows(WINNIPEG[0], type="TOLL_FREE"))
    assert [r.reason for r in report.rejected] == [
        "type TOLL_FREE contradicts the number (GEOGRAPHIC)"
    ]
    assert report.added == 0
