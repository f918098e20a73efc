"""`faxnum dids`: take DIDs out of stock and back, end aging early, list by state."""

import re
from datetime import UTC, datetime
from typing import Annotated

import typer

from faxnum.cli.common import console, fail, load_settings, operator_database
from faxnum.domain.did_states import DidEvent
from faxnum.domain.numbers import DidState
from faxnum.services.did_admin import LIST_BATCH, change_dids, dids_in_state

dids_app = typer.Typer(help="Operator control of single DIDs.", no_args_is_help=True)
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
Numbers = Annotated[list[str], typer.Argument(help="E.164 numbers, e.g. +12125550123.")]


def _change(numbers: list[str], event: DidEvent, done: str) -> None:
    malformed = [n for n in numbers if not _E164.fullmatch(n)]
    if malformed:
        raise fail(f"not E.164 numbers (+ and 7 to 15 digits): {', '.join(malformed)}")
    with operator_database(load_settings()) as database, database.unit_of_work() as uow:
        changed = change_dids(uow, numbers, event, datetime.now(UTC))
    console.print(f"{done}: {len(changed)} DIDs", highlight=False)


@dids_app.command("block")
def block(numbers: Numbers) -> None:
    """Take DIDs out of stock (available or aging ones; never an assigned DID)."""
    _change(numbers, DidEvent.BLOCK, "blocked")


@dids_app.command("unblock")
def unblock(numbers: Numbers) -> None:
    """Put blocked DIDs back into stock."""
    _change(numbers, DidEvent.UNBLOCK, "back in stock")


@dids_app.command("unage")
def unage(numbers: Numbers) -> None:
    """End the aging of released DIDs early: back in stock now."""
    _change(numbers, DidEvent.UNAGE, "back in stock")


@dids_app.command("list")
def list_dids(
    state: Annotated[DidState, typer.Option("--state", help="Which DIDs to list.")],
) -> None:
    """DIDs in one state, in number order: number, country, area code, city, type."""
    with operator_database(load_settings()) as database:
        after = ""
        while True:
            with database.reader() as uow:
                batch = dids_in_state(uow, state, after)
            for line in batch:
                fields = (line.number, line.country_code, line.area_code, line.city_name or "")
                typer.echo("\t".join((*fields, line.type)))
            if len(batch) < LIST_BATCH:
                break
            after = batch[-1].number
