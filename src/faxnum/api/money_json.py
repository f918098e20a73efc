"""Money on the wire: a JSON number written with exactly two decimals (1.50, not 1.5
nor the string "1.50"), as `/balance` answers it, with no float on the way.

Pydantic writes JSON numbers only from floats, so a `Money` field is first written as
a string carrying this process's random marker, which `money_numbers` then turns into
the bare number. A client cannot forge the marker: it is never sent out.
"""

import re
import secrets
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import PlainSerializer, SerializationInfo, WithJsonSchema

from faxnum.domain.money import CENT

_MARK = f"money-{secrets.token_hex(12)}:"
_MARKED = re.compile(rf'"{re.escape(_MARK)}(-?[0-9]+\.[0-9]{{2}})"')
SERIALIZATION_CONTEXT = {"money_mark": _MARK}


def _write(amount: Decimal, info: SerializationInfo) -> Any:
    text = f"{amount.quantize(CENT, ROUND_HALF_UP):.2f}"
    if info.mode_is_json() and info.context and "money_mark" in info.context:
        return f"{info.context['money_mark']}{text}"
    return Decimal(text)


Money = Annotated[
    Decimal,
    PlainSerializer(_write),
    WithJsonSchema({"type": "number", "multipleOf": 0.01, "examples": [1.5]}),
]


def money_numbers(json_text: str) -> str:
    """The marked money strings of a serialised document, as JSON numbers."""
    if _MARK not in json_text:
        return json_text
    return _MARKED.sub(r"\1", json_text)
