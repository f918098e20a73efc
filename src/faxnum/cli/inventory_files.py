"""Inventory CSV files: reading operator files as they come, writing exports and rejects.

Files may start with a byte-order mark, use CRLF line ends, contain blank lines, miss
the header (then the only column is the number) and end in a truncated line.

Cells we write that a spreadsheet would run as a formula (starting with = + - @, a tab
or a carriage return) get a leading apostrophe, which reading removes again; a plain
number (+12045551234, 1.25) is a value to a spreadsheet and stays as it is.
"""

import csv
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from faxnum.domain.numbers import InventoryLine
from faxnum.services.inventory_import import InventoryRow, Rejection

EXPORT_COLUMNS = [
    "number",
    "country",
    "area_code",
    "city",
    "type",
    "setup_price",
    "monthly_price",
    "trunk",
    "state",
]
_NUMBER_HEADERS = {"number", "did", "e164", "phone_number"}
_ALIASES = {
    "number": "number",
    "did": "number",
    "e164": "number",
    "phone_number": "number",
    "country": "country",
    "country_code": "country",
    "area_code": "area_code",
    "areacode": "area_code",
    "city": "city",
    "city_name": "city",
    "type": "type",
    "setup_price": "setup_price",
    "setup": "setup_price",
    "monthly_price": "monthly_price",
    "monthly": "monthly_price",
    "trunk": "trunk",
    "carrier_trunk": "trunk",
    "state": "state",
}


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"\+?[0-9]+(\.[0-9]+)?")


def spreadsheet_safe(cell: str) -> str:
    if cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _unescaped(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_FORMULA_START) else cell


def _field_name(header: str) -> str | None:
    return _ALIASES.get(header.strip().lower().replace(" ", "_").replace("-", "_"))


class UnreadableFile(ValueError):
    """The file as a whole cannot be imported; the message says where and why."""


def check_readable(path: Path) -> int:
    """Read the whole file once before importing any of it: UTF-8 throughout, CSV
    quoting closed, a header (if any) naming a number column. Its line count."""
    rows = sum(1 for _ in _records(path))
    with path.open("rb") as handle:
        return max(rows, sum(1 for _ in handle))


def read_rows(path: Path) -> Iterator[InventoryRow]:
    fields: list[str | None] | None = None
    for line, record in _records(path):
        if fields is None:
            if _is_header(record):
                fields = [_field_name(cell) for cell in record]
                if "number" not in fields:
                    raise UnreadableFile(
                        f"line {line}: the header names no number column "
                        f"(one of: {', '.join(sorted(_NUMBER_HEADERS))})"
                    )
                continue
            fields = ["number"]
        values = {
            name: _unescaped(cell) for name, cell in zip(fields, record, strict=False) if name
        }
        yield InventoryRow(line=line, **values)


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Non-blank CSV records with their line numbers; strict about encoding and quotes."""
    with path.open(newline="", encoding="utf-8-sig", errors="strict") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            for record in reader:
                if "\n" in "".join(record) or "\r" in "".join(record):
                    raise UnreadableFile(
                        f"line {reader.line_num}: a quoted cell runs over several lines "
                        "(an unterminated quote?)"
                    )
                if any(cell.strip() for cell in record):
                    yield reader.line_num, record
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                f"after line {reader.line_num}: not UTF-8 text ({exc.reason}); "
                "save the file as UTF-8"
            ) from None
        except csv.Error as exc:
            raise UnreadableFile(
                f"line {reader.line_num}: {exc} (an unterminated quote?)"
            ) from None


def _is_header(record: list[str]) -> bool:
    """A first row naming any known column is a header (numbers are never column names)."""
    return any(_field_name(cell) is not None for cell in record)


def write_rejects(rejections: Iterable[Rejection], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "number", "reason"])
        writer.writerows(
            (r.line, spreadsheet_safe(r.number), spreadsheet_safe(r.reason)) for r in rejections
        )


def write_inventory(lines: Iterable[InventoryLine], handle: TextIO) -> int:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    written = 0
    for line in lines:
        cells = [
            line.number,
            line.country_code,
            line.area_code,
            line.city_name or "",
            line.type,
            f"{line.setup_price:f}",
            f"{line.monthly_price:f}",
            line.carrier_trunk or "",
            line.state,
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
        written += 1
    return written
