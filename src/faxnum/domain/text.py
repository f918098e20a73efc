"""Text an account gives and others read (names shown in lists, the dashboard, logs)."""

import unicodedata

# Control and format characters (bidi overrides such as U+202E reorder what a reader
# sees; zero-width ones hide), surrogates, private-use and unassigned code points, and
# line or paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def is_plain_text(text: str) -> bool:
    """No character a reader would not see as written."""
    return not any(unicodedata.category(character) in _REFUSED_CATEGORIES for character in text)
