"""Text an account gives and others read (names shown in lists, the dashboard, logs)."""

import re

# Characters a reader would not see as written: C0 and C1 controls, the soft hyphen,
# zero-width characters, bidi marks, embeddings, overrides and isolates (U+202E turns
# "exe.txt" around), invisible operators, line and paragraph separators, the BOM and
# interlinear annotations. Written as a character class that Python and the OpenAPI
# document's (ECMA) regular expressions read alike, so a name the schema allows is
# never refused after it.
REFUSED_CHARACTERS = (
    r"\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    r"\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
_REFUSED = re.compile(f"[{REFUSED_CHARACTERS}]")


def is_plain_text(text: str) -> bool:
    """No character a reader would not see as written."""
    return _REFUSED.search(text) is None
