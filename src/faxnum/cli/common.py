"""What every operator command shares: the console and a migrated database."""

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import typer
from rich.console import Console

from faxnum.config import Settings
from faxnum.domain.errors import DomainError
from faxnum.domain.money import parse_amount
from faxnum.store.database import Database
from faxnum.store.migrate import upgrade

console = Console(soft_wrap=True)


@contextmanager
def operator_database(settings: Settings) -> Iterator[Database]:
    """The configured database, migrated; domain errors end the command with status 1."""
    upgrade(settings.effective_database_url)
    database = Database(settings.effective_database_url)
    try:
        yield database
    except DomainError as error:
        console.print(f"[red]{error.message}[/red]", highlight=False)
        raise typer.Exit(1) from error
    finally:
        database.dispose()


def amount_option(text: str, name: str) -> Decimal:
    try:
        return parse_amount(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=name) from exc
