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
]
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


def count_data_lines(path: Path) -> int:
    """Lines in the file (for the progress bar's total); cheap next to the import."""
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def read_rows(path: Path) -> Iterator[InventoryRow]:
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.reader(handle)
        fields: list[str | None] | None = None
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if fields is None:
                if _is_header(record):
                    fields = [_field_name(cell) for cell in record]
                    continue
                fields = ["number"]
            values = {
                name: _unescaped(cell) for name, cell in zip(fields, record, strict=False) if name
            }
            yield InventoryRow(line=reader.line_num, **values)


def _is_header(record: list[str]) -> bool:
    return "number" in {_field_name(cell) for cell in record}


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
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
        written += 1
    return written
