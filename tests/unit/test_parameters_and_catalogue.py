import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faxnum.api.params import CITY_PATTERN_PATTERN, MAX_ID, is_placeholder, parse_id, parse_ids
from faxnum.domain.catalogue import CityPattern, normalise_country
from faxnum.domain.errors import Invalid
from faxnum.store.catalogue import like_pattern


@pytest.mark.parametrize("raw", ["1", "42", str(MAX_ID)])
def test_ids_in_range_parse(raw: str) -> None:
    assert parse_id("id", raw) == int(raw)


@pytest.mark.parametrize(
    "raw", [None, "", "0", "-1", str(MAX_ID + 1), "1e3", " 1", "１", "٣", "1.0", "0x1"]
)
def test_other_ids_are_invalid_and_named(raw: str | None) -> None:
    with pytest.raises(Invalid) as caught:
        parse_id("did_group_id", raw)
    assert list(caught.value.errors) == ["did_group_id"]


def test_id_lists_are_deduplicated_and_bounded() -> None:
    assert parse_ids("ids", "3, 1,3") == (3, 1)
    with pytest.raises(Invalid):
        parse_ids("ids", ",".join(["1"] * 501))


@pytest.mark.parametrize("segment", ["{did_group_id}", "{countryCode}", "{COUNTRY_CODE}"])
def test_unfilled_placeholders_are_recognised(segment: str) -> None:
    assert is_placeholder(segment)


@pytest.mark.parametrize("segment", ["did_group_id", "{did_group_id", "{}", "{1}", "{a-b}", "{x}y"])
def test_anything_else_is_not_a_placeholder(segment: str) -> None:
    assert not is_placeholder(segment)


@pytest.mark.parametrize(("raw", "code"), [("can", "CAN"), ("Usa", "USA"), ("GBR", "GBR")])
def test_countries_are_upper_cased(raw: str, code: str) -> None:
    assert normalise_country(raw) == code


@pytest.mark.parametrize("raw", ["US", "USAA", "C1N", "ÇAN", ""])
def test_non_alpha3_countries_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="alpha-3"):
        normalise_country(raw)


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=20))
def test_like_translation_escapes_everything_but_percent(pattern: str) -> None:
    translated = like_pattern(CityPattern(pattern))
    unescaped = translated.replace("\\\\", "").replace("\\_", "")
    assert "_" not in unescaped
    assert translated.count("%") == pattern.count("%")


@pytest.mark.parametrize("raw", ["\x00", "New\nYork", "A\x7f", "\x1f%"])
def test_a_city_pattern_with_control_characters_is_refused_on_every_edge(raw: str) -> None:
    with pytest.raises(Invalid):
        CityPattern(raw)


@given(st.text(max_size=8))
def test_the_document_declares_exactly_the_city_patterns_the_domain_accepts(raw: str) -> None:
    """A client that follows the OpenAPI document never sends a pattern that is then
    refused, nor is a pattern the document refuses accepted elsewhere."""
    declared = re.fullmatch(CITY_PATTERN_PATTERN, raw) is not None
    try:
        CityPattern(raw)
        accepted = True
    except Invalid:
        accepted = False
    assert declared is accepted


@pytest.mark.parametrize("character", [chr(c) for c in [*range(0x20), 0x7F, 0x80, 0x9F, 0xA0]])
def test_the_document_and_the_domain_agree_on_each_control_character(character: str) -> None:
    declared = re.fullmatch(CITY_PATTERN_PATTERN, f"A{character}") is not None
    assert declared is (ord(character) >= 0x20 and ord(character) != 0x7F)
    if not declared:
        with pytest.raises(Invalid):
            CityPattern(f"A{character}")
