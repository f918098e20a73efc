"""Geocoding of numbers: which city (and NANP state) a number belongs to."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberType, geocoder

from faxnum.domain.numbers import NumberType

_TYPE_MAP = {
    PhoneNumberType.FIXED_LINE: NumberType.GEOGRAPHIC,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: NumberType.GEOGRAPHIC,
    PhoneNumberType.MOBILE: NumberType.MOBILE,
    PhoneNumberType.TOLL_FREE: NumberType.TOLL_FREE,
}


@dataclass(frozen=True)
class Place:
    """A geocoder description split into city and (NANP only) state code."""

    city: str
    state_code: str | None

    @classmethod
    def from_description(cls, description: str) -> "Place":
        city, _, state = description.partition(", ")
        return cls(city.upper(), state or None)


def number_type(number: PhoneNumber) -> NumberType:
    return _TYPE_MAP.get(phonenumbers.number_type(number), NumberType.NATIONAL)


def place_of(number: PhoneNumber) -> Place | None:
    description = geocoder.description_for_number(number, "en")
    return Place.from_description(description) if description else None


def area_code_of(number: PhoneNumber) -> str:
    """NANP: always the first three digits; elsewhere the geographic area code, or the
    national destination code for numbers without one (mobile, non-geographic)."""
    national = phonenumbers.national_significant_number(number)
    if number.country_code == 1:
        return national[:3]
    length = phonenumbers.length_of_geographical_area_code(number)
    if not length:
        length = phonenumbers.length_of_national_destination_code(number)
    return national[:length] if length else ""


@lru_cache(maxsize=8)
def city_prefixes(dial_code: int) -> dict[str, list[str]]:
    """Geocoder prefixes of one dial code that name a city, grouped by description.

    NANP descriptions without a comma name a whole state or province, not a city.
    """
    from phonenumbers.geodata import GEOCODE_DATA  # large; loaded only when needed

    head = str(dial_code)
    grouped: dict[str, list[str]] = defaultdict(list)
    for prefix, names in GEOCODE_DATA.items():
        description = names.get("en")
        if not prefix.startswith(head) or not description:
            continue
        if dial_code == 1 and ", " not in description:
            continue
        grouped[description].append(prefix)
    return grouped


@lru_cache(maxsize=1)
def nanp_area_code_states() -> dict[str, str]:
    """Area code -> state/province code across NANP, by the majority of its exchanges'
    geocoded places ("Winnipeg, MB" under 1204... makes 204 a Manitoba area code)."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for description, exchanges in city_prefixes(1).items():
        place = Place.from_description(description)
        if place.state_code:
            for exchange in exchanges:
                votes[exchange[1:4]][place.state_code] += 1
    return {area: counts.most_common(1)[0][0] for area, counts in votes.items()}
