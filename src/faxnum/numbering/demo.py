"""Demo inventory generated from real numbering data, never invented.

Every DID is a number that phonenumbers accepts as valid and whose geocoded city is
its group's city; groups are keyed by (country, area code, city, type).
"""

import random
from collections.abc import Iterator
from decimal import Decimal

import phonenumbers

from faxnum.domain.numbers import GroupSpec, NumberType
from faxnum.numbering.countries import alpha3_for_region, subdivisions
from faxnum.numbering.geodata import Place, area_code_of, city_prefixes, number_type, place_of

# (region, cities to sample, setup price, monthly price)
DEMO_COUNTRIES = (
    ("US", 160, Decimal("1.00"), Decimal("2.00")),
    ("CA", 50, Decimal("1.00"), Decimal("2.50")),
    ("GB", 50, Decimal("2.00"), Decimal("3.50")),
)
_MAX_TRIES_PER_DID = 40


def complete_number(prefix: str, rng: random.Random, region: str) -> phonenumbers.PhoneNumber:
    """A random full-length number starting with a geocoder prefix (dial code included)."""
    length = _national_length(region)
    dial = str(phonenumbers.country_code_for_region(region))
    national = prefix[len(dial) :]
    tail = "".join(rng.choice("0123456789") for _ in range(length - len(national)))
    return phonenumbers.parse(f"+{dial}{national}{tail}")


def _national_length(region: str) -> int:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.FIXED_LINE)
    return len(phonenumbers.national_significant_number(example)) if example else 10


def numbers_for_city(
    region: str, description: str, prefixes: list[str], rng: random.Random, count: int
) -> Iterator[phonenumbers.PhoneNumber]:
    """Valid geographic numbers of `region` whose geocoded place is `description`."""
    wanted = Place.from_description(description)
    seen: set[str] = set()
    for _ in range(count * _MAX_TRIES_PER_DID):
        if len(seen) >= count:
            return
        number = complete_number(rng.choice(prefixes), rng, region)
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if e164 in seen or not is_demo_grade(number, region, wanted):
            continue
        seen.add(e164)
        yield number


def is_demo_grade(number: phonenumbers.PhoneNumber, region: str, place: Place) -> bool:
    return (
        phonenumbers.is_valid_number(number)
        and phonenumbers.region_code_for_number(number) == region
        and number_type(number) is NumberType.GEOGRAPHIC
        and place_of(number) == place
    )


def demo_inventory(seed: int = 2018, dids_per_city: int = 24) -> list[GroupSpec]:
    """A few hundred DID groups across USA, CAN and GBR, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 (demo numbers: reproducible, not secret)
    groups: dict[tuple[str, str, str | None, NumberType], GroupSpec] = {}
    for region, cities, setup, monthly in DEMO_COUNTRIES:
        dial = phonenumbers.country_code_for_region(region)
        alpha3 = alpha3_for_region(region)
        by_city = _cities_of_region(region, city_prefixes(dial))
        for description in rng.sample(sorted(by_city), k=min(cities, len(by_city))):
            place = Place.from_description(description)
            for number in numbers_for_city(
                region, description, by_city[description], rng, dids_per_city
            ):
                spec = GroupSpec(
                    alpha3,
                    place.state_code,
                    area_code_of(number),
                    place.city,
                    NumberType.GEOGRAPHIC,
                    setup,
                    monthly,
                )
                group = groups.setdefault(spec.key, spec)
                group.numbers.append(
                    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                )
    return sorted(groups.values(), key=lambda g: (g.country_code, g.area_code, g.city_name or ""))


def _cities_of_region(region: str, by_city: dict[str, list[str]]) -> dict[str, list[str]]:
    """NANP shares dial code 1: keep the descriptions whose state belongs to `region`."""
    if phonenumbers.country_code_for_region(region) != 1:
        return by_city
    states = {sub.code for sub in subdivisions(alpha3_for_region(region))}
    return {
        description: prefixes
        for description, prefixes in by_city.items()
        if Place.from_description(description).state_code in states
    }
