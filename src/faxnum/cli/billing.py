"""Operator commands for billing."""

from datetime import UTC, date, datetime
from typing import Annotated

import typer

from faxnum.cli.common import console, fail, load_settings, operator_database
from faxnum.services.lifecycle import dry_run as dry_run_of
from faxnum.services.lifecycle import renew_due

billing_app = typer.Typer(help="Billing runs.", no_args_is_help=True)


@billing_app.command("renew")
def renew(
    today: Annotated[
        str | None, typer.Option(help="Run as of this date (YYYY-MM-DD) [today, UTC].")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what the run would do; change nothing.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="Allow a --today in the future (charges real money).")
    ] = False,
) -> None:
    """Charge every number whose paid month has ended; expire or release the unpaid.
    Safe to repeat: a second run on the same day charges nothing."""
    settings = load_settings()
    now = datetime.now(UTC)
    try:
        as_of = date.fromisoformat(today) if today else now.date()
    except ValueError as exc:
        raise typer.BadParameter("use YYYY-MM-DD", param_hint="--today") from exc
    if as_of > now.date() and not (yes or dry_run):
        raise fail(
            f"--today {as_of.isoformat()} is in the future and would charge months not yet "
            "due: look first with --dry-run, then confirm with --yes"
        )
    with operator_database(settings) as database:
        writes = dry_run_of(database.unit_of_work) if dry_run else database.unit_of_work
        report = renew_due(writes, as_of, now, settings.lifecycle, database.reader)
    text = str(report)
    if dry_run:
        console.print(f"Dry run, nothing changed. The run would have {text}.")
    else:
        console.print(f"{text[0].upper()}{text[1:]}.")
