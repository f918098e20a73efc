"""Operator commands for inventory files."""

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from faxnum.cli.common import (
    amount_option,
    console,
    fail,
    load_settings,
    operator_database,
    refuse_operator_file,
    same_file,
)

import_app = typer.Typer(help="Load inventory from files.", no_args_is_help=True)
export_app = typer.Typer(help="Write inventory to files.", no_args_is_help=True)


@import_app.command("dids")
def import_dids(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    setup_price: Annotated[
        str, typer.Option(help="For new groups without a setup_price column.")
    ] = "1.00",
    monthly_price: Annotated[
        str, typer.Option(help="For new groups without a monthly_price column.")
    ] = "2.00",
    rejects: Annotated[
        Path | None, typer.Option(help="Where to write rejected rows [FILE.rejects.csv].")
    ] = None,
) -> None:
    """Import DIDs from CSV (column `number`; optionally country, area_code, city, type,
    setup_price, monthly_price, trunk). Safe to repeat: existing numbers are skipped."""
    setup, monthly = (
        amount_option(setup_price, "--setup-price"),
        amount_option(monthly_price, "--monthly-price"),
    )
    # Imported here: numbering data and geocoding cost a third of a second that every
    # other command would pay.
    from faxnum.cli.import_report import import_progress, import_summary
    from faxnum.cli.inventory_files import UnreadableFile, check_readable, read_rows, write_rejects
    from faxnum.services.inventory_import import import_inventory

    rejects_path = rejects or file.with_name(file.name + ".rejects.csv")
    if same_file(rejects_path, file):
        raise typer.BadParameter("must not be the file being imported", param_hint="--rejects")
    settings = load_settings()
    refuse_operator_file(settings, rejects_path, "--rejects")
    try:
        lines = check_readable(file)
    except UnreadableFile as unreadable:
        raise fail(f"{file}: {unreadable}; nothing was imported") from None
    started = time.perf_counter()

    with operator_database(settings) as database, import_progress(console) as progress:
        task = progress.add_task("Importing", total=lines)
        report = import_inventory(
            database.unit_of_work,
            read_rows(file),
            setup,
            monthly,
            datetime.now(UTC),
            on_batch=lambda r: progress.update(task, completed=r.rows),
            workers=os.cpu_count() or 1,
        )
        progress.update(task, total=report.rows, completed=report.rows)
    if report.rejected:
        write_rejects(report.rejected, rejects_path)
    console.print(import_summary(report, time.perf_counter() - started, rejects_path))
    if report.added + report.existing == 0:
        raise fail(f"{file}: no valid number was read", status=1)


@export_app.command("dids")
def export_dids(
    output: Annotated[
        Path | None, typer.Option(help="CSV file to write; - or nothing: standard output.")
    ] = None,
) -> None:
    """Export the whole DID inventory as CSV, in the format `import dids` reads."""
    from faxnum.cli.inventory_files import write_inventory  # see import_dids
    from faxnum.services.inventory import inventory_lines  # loads numbering data: slow

    settings = load_settings()
    if output is not None and str(output) != "-":
        refuse_operator_file(settings, output, "--output")
    with operator_database(settings) as database, database.reader() as uow:
        if output is None or str(output) == "-":
            write_inventory(inventory_lines(uow), sys.stdout)
            return
        with output.open("w", newline="", encoding="utf-8") as handle:
            written = write_inventory(inventory_lines(uow), handle)
    console.print(f"Exported {written} DIDs to {output}.", highlight=False)
