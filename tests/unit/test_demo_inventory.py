"""The demo inventory is real numbering data: valid numbers in their groups' cities."""

from collections import Counter

import phonenumbers
import pytest

from faxnum.domain.numbers import GroupSpec, NumberType
from faxnum.numbering.countries import all_countries, subdivisions
from faxnum.numbering.demo import demo_inventory
from faxnum.numbering.geodata import area_code_of, place_of


@pytest.fixture(scope="module")
def inventory() -> list[GroupSpec]:
    return demo_inventory()


def test_a_few_hundred_groups_across_usa_canada_and_britain(inventory: list[GroupSpec]) -> None:
    per_country = Counter(group.country_code for group in inventory)
    assert set(per_country) == {"USA", "CAN", "GBR"}
    assert len(inventory) >= 200
    assert all(count >= 30 for count in per_country.values())


def test_every_did_is_valid_and_geocodes_to_its_group(inventory: list[GroupSpec]) -> None:
    for group in inventory:
        assert group.type is NumberType.GEOGRAPHIC
        assert group.numbers
        for e164 in group.numbers:
            number = phonenumbers.parse(e164)
            assert phonenumbers.is_valid_number(number), e164
            place = place_of(number)
            assert place is not None and place.city == group.city_name, e164
            assert area_code_of(number) == group.area_code, e164


def test_numbers_are_unique_and_e164(inventory: list[GroupSpec]) -> None:
    numbers = [n for group in inventory for n in group.numbers]
    assert len(numbers) == len(set(numbers))
    assert all(
        phonenumbers.format_number(phonenumbers.parse(n), phonenumbers.PhoneNumberFormat.E164) == n
        for n in numbers
    )


def test_nanp_groups_name_a_real_state(inventory: list[GroupSpec]) -> None:
    for group in inventory:
        if group.country_code in ("USA", "CAN"):
            assert group.state_code in {s.code for s in subdivisions(group.country_code)}


def test_same_seed_same_inventory() -> None:
    assert [g.key for g in demo_inventory(seed=5, dids_per_city=2)] == [
        g.key for g in demo_inventory(seed=5, dids_per_city=2)
    ]


def test_countries_carry_dial_codes() -> None:
    countries = {c.alpha3: c for c in all_countries()}
    assert countries["CAN"].dial_code == 1 and countries["GBR"].dial_code == 44
    assert countries["CAN"].name == "CANADA" and countries["CAN"].slug == "canada"
