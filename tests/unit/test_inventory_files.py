"""Inventory CSV files as spreadsheets open them: no cell runs as a formula, and what we
write reads back unchanged."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest

from faxnum.cli.inventory_files import read_rows, spreadsheet_safe, write_inventory
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
    )
    out = StringIO()
    write_inventory([line], out)
    assert "'=CITY()" in out.getvalue() and "'@trunk-a" in out.getvalue()
    path = tmp_path / "export.csv"
    path.write_text(out.getvalue())
    [row] = read_rows(path)
    assert (row.number, row.city, row.trunk, row.setup_price) == (
        "+12045551234",
        "=CITY()",
        "@trunk-a",
        "1.25",
    )
