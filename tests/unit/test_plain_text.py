"""Names refuse what a reader would not see as written."""

import re
import sys

import pytest

from faxnum.domain.text import REFUSED_CHARACTERS, is_plain_text, is_refused


def test_the_schemas_character_class_is_every_refused_character_of_the_bmp() -> None:
    refused_class = re.compile(f"[{REFUSED_CHARACTERS}]")
    for code_point in range(0x10000):
        if 0xD800 <= code_point <= 0xDFFF:
            continue  # surrogates never reach a name: JSON text is decoded first
        character = chr(code_point)
        assert bool(refused_class.match(character)) == is_refused(character), (
            f"U+{code_point:04X}: REFUSED_CHARACTERS disagrees with the Unicode data of "
            f"Python {sys.version_info[:2]}; regenerate it"
        )


@pytest.mark.parametrize(
    "name",
    [
        "evil\u202etxt.exe",
        "zero\u200bwidth",
        "line\u2028break",
        "soft\u00adhyphen",
        "\u0600arabic number sign",
        "filler\u3164",
        "tag\U000e0041\U000e0042",  # invisible tag characters, beyond the BMP
        "musical\U0001d173",
        "hieroglyph\U00013439format",  # a format character since Unicode 15
        "c1\x85control",
    ],
)
def test_format_control_and_invisible_characters_are_refused(name: str) -> None:
    assert not is_plain_text(name)


@pytest.mark.parametrize("name", ["PBX 1", "Zürich Büro", "東京オフィス", "emoji 📠", "Ελληνικά"])
def test_ordinary_text_of_any_script_is_plain(name: str) -> None:
    assert is_plain_text(name)
