"""Operator commands for billing."""

from datetime import UTC, date, datetime
from typing import Annotated

import typer

from faxnum.cli.common import console, load_settings, operator_database
from faxnum.services.lifecycle import renew_due

billing_app = typer.Typer(help="Billing runs.", no_args_is_help=True)


@billing_app.command("renew")
def renew(
    today: Annotated[
        str | None, typer.Option(help="Run as of this date (YYYY-MM-DD) [today, UTC].")
    ] = None,
) -> None:
    """Charge every number whose paid month has ended; expire or release the unpaid.
    Safe to repeat: a second run on the same day charges nothing."""
    settings = load_settings()
    now = datetime.now(UTC)
    try:
        as_of = date.fromisoformat(today) if today else now.date()
    except ValueError as exc:
        raise typer.BadParameter("use YYYY-MM-DD", param_hint="--today") from exc
    with operator_database(settings) as database:
        report = renew_due(database.unit_of_work, as_of, now, settings.lifecycle)
    console.print(
        f"Renewed {report.renewed_months} number-months; expired {report.expired}; "
        f"released {report.released}; DIDs back in stock after aging: {report.recycled}."
    )
