"""What phonenumbers says about one inventory number: valid or not, and its facts."""

from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, geocoder

from faxnum.domain.numbers import NumberType
from faxnum.numbering.countries import alpha3_for_region
from faxnum.numbering.geodata import Place, area_code_of, nanp_area_code_states, number_type

MAX_INPUT_LENGTH = 40


class Rejected(ValueError):
    """The number cannot go into inventory; the message says why."""


@dataclass(frozen=True)
class NumberFacts:
    e164: str
    country_code: str  # alpha-3
    area_code: str
    city_name: str | None
    state_code: str | None  # NANP only: the geocoder names it
    type: NumberType


def classify(raw: str, region_hint: str | None = None) -> NumberFacts:
    """Parse and validate one number; `region_hint` (alpha-2) allows national format."""
    text = raw.strip()
    if not text:
        raise Rejected("empty number")
    if len(text) > MAX_INPUT_LENGTH:
        raise Rejected("number too long")
    try:
        number = phonenumbers.parse(text, region_hint)
    except NumberParseException as exc:
        raise Rejected("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise Rejected("not a valid number")
    region = phonenumbers.region_code_for_number(number)
    if region is None or region == "001":
        raise Rejected("number belongs to no country")
    description = geocoder.description_for_valid_number(number, "en")
    place = Place.from_description(description) if description else None
    area_code = area_code_of(number)
    nanp = number.country_code == 1
    # NANP descriptions without ", ST" name a whole state or province, not a city.
    city = place.city if place and (place.state_code or not nanp) else None
    state = place.state_code if place and place.state_code else None
    if nanp and state is None:
        state = nanp_area_code_states().get(area_code)
    return NumberFacts(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        country_code=alpha3_for_region(region),
        area_code=area_code,
        city_name=city,
        state_code=state,
        type=number_type(number),
    )
