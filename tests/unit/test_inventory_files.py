"""Inventory CSV files as spreadsheets open them: no cell runs as a formula, and what we
write reads back unchanged."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest

from faxnum.cli.inventory_files import (
    UnreadableFile,
    check_readable,
    read_rows,
    spreadsheet_safe,
    write_inventory,
)
from faxnum.domain.numbers import InventoryLine


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("+12045551234", "+12045551234"),
        ("1.25", "1.25"),
        ("WINNIPEG", "WINNIPEG"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_run_are_escaped(cell: str, written: str) -> None:
    assert spreadsheet_safe(cell) == written


def test_escaped_cells_read_back_as_they_were(tmp_path: Path) -> None:
    line = InventoryLine(
        "+12045551234",
        "CAN",
        "204",
        "=CITY()",
        "GEOGRAPHIC",
        Decimal("1.25"),
        Decimal("2"),
        "@trunk-a",
        "blocked",
    )
    out = StringIO()
    write_inventory([line], out)
    assert "'=CITY()" in out.getvalue() and "'@trunk-a" in out.getvalue()
    path = tmp_path / "export.csv"
    path.write_text(out.getvalue())
    [row] = read_rows(path)
    assert (row.number, row.city, row.trunk, row.setup_price, row.state) == (
        "+12045551234",
        "=CITY()",
        "@trunk-a",
        "1.25",
        "blocked",
    )


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"number\n+12045551234\n\xff\xfe\n", "not UTF-8"),
        (b'number,city\n+12045551234,"Winnipeg\n+12045551235,Leeds\n', "unterminated quote"),
        (b"phone,city\n+12045551234,Winnipeg\n", "names no number column"),
    ],
    ids=["latin-1 bytes", "unterminated quote", "header without a number column"],
)
def test_a_file_that_cannot_be_read_whole_is_refused_before_anything_is_imported(
    tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "dids.csv"
    path.write_bytes(content)
    # Refused by the check, or at the latest while reading: never a row imported.
    with pytest.raises(UnreadableFile, match=says):  # noqa: PT012
        check_readable(path)
        list(read_rows(path))
