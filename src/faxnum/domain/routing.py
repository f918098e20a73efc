"""Where a call to a number goes: the trunk of the number's holder, while it is live."""

from dataclasses import dataclass

from faxnum.domain.errors import Invalid


@dataclass(frozen=True)
class CallRoute:
    number: str  # E.164
    trunk_id: int
    uri: str | None  # None: the holder has not given its trunk an address yet
    t38: bool


def dialled_number(raw: str, field: str = "number") -> str:
    """A number as a SIP router or gateway writes it (digits, with or without '+') in
    E.164."""
    digits = raw.strip().removeprefix("+")
    if not digits.isascii() or not digits.isdigit() or not 1 <= len(digits) <= 15:
        raise Invalid.field(field, "must be a number's 1 to 15 digits, with or without '+'")
    return "+" + digits
