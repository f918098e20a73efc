"""Text an account gives and others read (names shown in lists, the dashboard, logs)."""

import re
import unicodedata

# What a reader would not see as written: control characters (C0, C1), format
# characters (bidi marks, embeddings, overrides and isolates: U+202E turns "exe.txt"
# around; zero-width ones; the soft hyphen; invisible operators; the BOM; tags), line
# and paragraph separators, and the Hangul fillers, which draw nothing.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
HANGUL_FILLERS = frozenset({0x115F, 0x1160, 0x3164, 0xFFA0})
# Format characters of Unicode versions newer than this Python's data (15.0: Egyptian
# hieroglyph format controls), refused before the interpreter knows them.
NEWER_FORMAT_CHARACTERS = frozenset(range(0x13439, 0x13440))
# The same, for the Basic Multilingual Plane, as a character class that Python and the
# OpenAPI document's (ECMA) regular expressions read alike, so a name the schema
# allows is refused only for a character beyond it (`tests/unit` holds this to the
# Unicode data).
REFUSED_CHARACTERS = (
    r"\u0000-\u001f\u007f-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891"
    r"\u08e2\u115f-\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
    r"\u3164\ufeff\uffa0\ufff9-\ufffb"
)
_REFUSED = re.compile(f"[{REFUSED_CHARACTERS}]")


def is_refused(character: str) -> bool:
    code_point = ord(character)
    return (
        unicodedata.category(character) in REFUSED_CATEGORIES
        or code_point in HANGUL_FILLERS
        or code_point in NEWER_FORMAT_CHARACTERS
    )


def is_plain_text(text: str) -> bool:
    """No character a reader would not see as written."""
    if _REFUSED.search(text):
        return False
    return not any(ord(character) > 0xFFFF and is_refused(character) for character in text)


def is_decimal_number(text: str) -> bool:
    """Only the digits 0-9: `str.isdigit` also takes "²" and "٣", which `int` refuses or
    reads as another number."""
    return text.isascii() and text.isdigit()
