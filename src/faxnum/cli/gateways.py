"""Operator commands for fax gateways: the machines allowed to hand over received faxes."""

from datetime import UTC, datetime

import typer
from rich.table import Table

from faxnum.cli.common import console, load_settings, operator_database
from faxnum.services.gateways import create_gateway, list_gateways, revoke_gateway

gateways_app = typer.Typer(help="Fax gateway credentials.", no_args_is_help=True)


@gateways_app.command("create")
def create(name: str) -> None:
    """Create a gateway; its token is printed once, on the last line (kept only as a
    digest: it cannot be shown again)."""
    with operator_database(load_settings()) as database, database.unit_of_work() as uow:
        gateway, token = create_gateway(uow, name, datetime.now(UTC))
    console.print(f"Gateway {gateway.name} created. Its token, shown once:")
    print(token)  # plain, alone on the last line: for scripts


@gateways_app.command("list")
def list_command() -> None:
    """Every gateway, live and revoked."""
    with operator_database(load_settings()) as database, database.reader() as uow:
        found = list_gateways(uow)
    if not found:
        console.print("Gateways: none.")
        return
    table = Table("name", "created", "revoked")
    for gateway in found:
        revoked = gateway.revoked_at.isoformat() if gateway.revoked_at else "-"
        table.add_row(gateway.name, gateway.created_at.isoformat(), revoked)
    console.print(table)


@gateways_app.command("revoke")
def revoke(name: str) -> None:
    """Refuse the gateway's token from now on."""
    with operator_database(load_settings()) as database, database.unit_of_work() as uow:
        revoke_gateway(uow, name, datetime.now(UTC))
    console.print(f"Gateway {name} revoked.")
