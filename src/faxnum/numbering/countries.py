"""Countries and their subdivisions from pycountry, dial codes from phonenumbers
(imported where dial codes are needed: a serving process checks country codes only)."""

import re
import unicodedata

import pycountry

from faxnum.domain.catalogue import CountryInfo, Subdivision


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def all_countries() -> list[CountryInfo]:
    """Every ISO country that has an international dial code."""
    import phonenumbers

    found = []
    for country in pycountry.countries:
        dial_code = phonenumbers.country_code_for_region(country.alpha_2)
        if dial_code:
            found.append(
                CountryInfo(
                    alpha3=country.alpha_3,
                    alpha2=country.alpha_2,
                    name=country.name.upper(),
                    slug=slugify(country.name),
                    dial_code=dial_code,
                )
            )
    return sorted(found, key=lambda c: c.alpha3)


def is_known_country(alpha3: str) -> bool:
    return pycountry.countries.get(alpha_3=alpha3) is not None


def alpha2_and_alpha3(code: str) -> tuple[str, str] | None:
    """An ISO country given as alpha-3 or alpha-2, any case; None when there is none."""
    text = code.strip().upper()
    found = None
    if len(text) == 3:
        found = pycountry.countries.get(alpha_3=text)
    elif len(text) == 2:
        found = pycountry.countries.get(alpha_2=text)
    return None if found is None else (str(found.alpha_2), str(found.alpha_3))


def country_dial_code(alpha3: str) -> int | None:
    import phonenumbers

    country = pycountry.countries.get(alpha_3=alpha3)
    return phonenumbers.country_code_for_region(country.alpha_2) if country else None


def alpha3_for_region(region: str) -> str:
    country = pycountry.countries.get(alpha_2=region)
    if country is None:
        raise ValueError(f"unknown region {region!r}")
    return str(country.alpha_3)


def subdivisions(alpha3: str) -> list[Subdivision]:
    """Top-level subdivisions (states, provinces) of a country."""
    country = pycountry.countries.get(alpha_3=alpha3)
    if country is None:
        return []
    found = [
        Subdivision(alpha3, sub.code.split("-", 1)[1], sub.name)
        for sub in pycountry.subdivisions.get(country_code=country.alpha_2) or []  # type: ignore[no-untyped-call]  # pycountry's get() is unannotated
        if sub.parent_code is None
    ]
    return sorted(found, key=lambda s: s.code)
