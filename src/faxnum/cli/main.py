"""Operator commands: serve, migrate, seed-demo, accounts."""

import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from faxnum.bootstrap import prepare_demo, seed_demo_inventory
from faxnum.cli.import_report import import_progress, import_summary
from faxnum.cli.inventory_files import count_data_lines, read_rows, write_inventory, write_rejects
from faxnum.config import Settings
from faxnum.domain.errors import DomainError
from faxnum.domain.money import parse_amount
from faxnum.key_cipher import KeyCipher
from faxnum.services.accounts import create_account
from faxnum.services.inventory_import import import_inventory
from faxnum.store.database import Database
from faxnum.store.migrate import upgrade

app = typer.Typer(
    help="faxnum: fax number provisioning over the Fax.to v2 API.", no_args_is_help=True
)
accounts_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
import_app = typer.Typer(help="Load inventory from files.", no_args_is_help=True)
export_app = typer.Typer(help="Write inventory to files.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
console = Console(soft_wrap=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
    demo: Annotated[
        bool, typer.Option(help="Load demo inventory if empty; print a demo key.")
    ] = False,
    access_log: Annotated[bool, typer.Option(help="Log each request (keys redacted).")] = True,
) -> None:
    """Migrate the database, then serve the v2 API."""
    settings = Settings()
    if demo:
        ready = prepare_demo(settings)
        if ready.inventory is not None:
            console.print(
                f"Loaded demo inventory: {ready.inventory.groups_created} DID groups, "
                f"{ready.inventory.dids_added} DIDs."
            )
        console.print(f"Demo account: {settings.demo_email}")
        console.print(f"API key: {ready.account.api_key}", highlight=False)
    else:
        upgrade(settings.effective_database_url)
    console.print(
        f"Serving the v2 API at http://{host}:{port}/api/v2 (docs: http://{host}:{port}/docs)"
    )
    uvicorn.run(
        "faxnum.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        proxy_headers=False,
    )


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    settings = Settings()
    upgrade(settings.effective_database_url)
    console.print("Database is at the latest revision.")


@app.command("seed-demo")
def seed_demo() -> None:
    """Load the demo inventory (USA, CAN, GBR from real numbering data); idempotent."""
    settings = Settings()
    upgrade(settings.effective_database_url)
    database = Database(settings.effective_database_url)
    try:
        summary = seed_demo_inventory(database, only_if_empty=False)
    finally:
        database.dispose()
    assert summary is not None
    console.print(
        f"DID groups created: {summary.groups_created}; DIDs added: {summary.dids_added}; "
        f"already present: {summary.dids_existing}."
    )


@accounts_app.command("create")
def accounts_create(
    email: str,
    credit: Annotated[str, typer.Option(help="Opening credit, e.g. 100.00.")] = "0",
    password: Annotated[str | None, typer.Option(help="Password for v2 login.")] = None,
) -> None:
    """Create an account; its API key is printed on the last line."""
    settings = Settings()
    try:
        amount = parse_amount(credit)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--credit") from exc
    upgrade(settings.effective_database_url)
    database = Database(settings.effective_database_url)
    try:
        with database.unit_of_work() as uow:
            created = create_account(
                uow,
                KeyCipher(settings.effective_secret),
                email,
                datetime.now(UTC),
                password=password,
                opening_credit=Decimal(amount),
            )
    except DomainError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from error
    finally:
        database.dispose()
    console.print(f"Created account {created.account_id} with credit {amount:.2f}.")
    print(created.api_key)


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
    try:
        defaults = parse_amount(setup_price), parse_amount(monthly_price)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    settings = Settings()
    upgrade(settings.effective_database_url)
    database = Database(settings.effective_database_url)
    started = time.perf_counter()
    try:
        with import_progress(console) as progress:
            task = progress.add_task("Importing", total=count_data_lines(file))
            report = import_inventory(
                database.unit_of_work,
                read_rows(file),
                *defaults,
                datetime.now(UTC),
                on_batch=lambda r: progress.update(task, completed=r.rows),
            )
            progress.update(task, total=report.rows, completed=report.rows)
    finally:
        database.dispose()
    rejects_path = rejects or file.with_name(file.name + ".rejects.csv")
    if report.rejected:
        write_rejects(report.rejected, rejects_path)
    console.print(import_summary(report, time.perf_counter() - started, rejects_path))


@export_app.command("dids")
def export_dids(
    output: Annotated[
        Path | None, typer.Option(help="CSV file to write [standard output].")
    ] = None,
) -> None:
    """Export the whole DID inventory as CSV, in the format `import dids` reads."""
    settings = Settings()
    database = Database(settings.effective_database_url)
    try:
        with database.reader() as uow:
            if output is None:
                write_inventory(uow.dids.inventory(), sys.stdout)
            else:
                with output.open("w", newline="", encoding="utf-8") as handle:
                    written = write_inventory(uow.dids.inventory(), handle)
                console.print(f"Exported {written} DIDs to {output}.", highlight=False)
    finally:
        database.dispose()


if __name__ == "__main__":
    app()
