"""Vanity search patterns on a national number (the digits after the country code).

Letters map through the phone keypad (`FAX` is `329`) and `*` stands for any one digit,
as Twilio's `Contains` does. A pattern becomes one LIKE text on the E.164 number, so
the store can match it with an index where one serves.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from faxnum.domain.errors import Invalid

MIN_PATTERN_LENGTH = 2
MAX_PATTERN_LENGTH = 16
PATTERN_REGEX = rf"^[0-9A-Za-z*]{{{MIN_PATTERN_LENGTH},{MAX_PATTERN_LENGTH}}}$"
_PATTERN = re.compile(PATTERN_REGEX)
_KEYPAD = {
    letter: str(digit)
    for digit, letters in {
        2: "ABC",
        3: "DEF",
        4: "GHI",
        5: "JKL",
        6: "MNO",
        7: "PQRS",
        8: "TUV",
        9: "WXYZ",
    }.items()
    for letter in letters
}


class Anchor(StrEnum):
    CONTAINS = "contains"
    STARTS_WITH = "startsWith"
    ENDS_WITH = "endsWith"


@dataclass(frozen=True)
class NumberPattern:
    """Digits and `?` (one unknown digit), anchored or not."""

    anchor: Anchor
    digits: str

    @classmethod
    def parse(cls, anchor: Anchor, raw: str) -> "NumberPattern":
        if not _PATTERN.fullmatch(raw):
            raise Invalid.field(
                anchor.value,
                f"must be {MIN_PATTERN_LENGTH} to {MAX_PATTERN_LENGTH} digits, "
                "keypad letters or * (any one digit)",
            )
        digits = "".join("?" if char == "*" else _KEYPAD.get(char.upper(), char) for char in raw)
        return cls(anchor, digits)

    def like(self, dial_code: int) -> str:
        """LIKE text on the E.164 number: `_` matches one character, `%` any run."""
        body = self.digits.replace("?", "_")
        prefix = f"+{dial_code}"
        if self.anchor is Anchor.STARTS_WITH:
            return f"{prefix}{body}%"
        if self.anchor is Anchor.ENDS_WITH:
            return f"{prefix}%{body}"
        return f"{prefix}%{body}%"

    def literal_prefix(self, dial_code: int) -> str | None:
        """For `startsWith`: the fixed start of every matching E.164 number (an index
        range); None for the other anchors."""
        if self.anchor is not Anchor.STARTS_WITH:
            return None
        return f"+{dial_code}{self.digits.split('?')[0]}"

    def literal_runs(self, min_length: int) -> list[str]:
        """The pattern's stretches of known digits at least `min_length` long: every
        matching number contains each of them (what a trigram index can look up)."""
        return [run for run in self.digits.split("?") if len(run) >= min_length]

    def matches(self, national: str) -> bool:
        expression = "".join("[0-9]" if c == "?" else c for c in self.digits)
        if self.anchor is Anchor.STARTS_WITH:
            return re.match(expression, national) is not None
        if self.anchor is Anchor.ENDS_WITH:
            return re.search(expression + "$", national) is not None
        return re.search(expression, national) is not None
