"""Operator commands for accounts and their keys."""

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from faxnum.cli.common import (
    amount_option,
    checked_cipher,
    console,
    load_settings,
    operator_database,
)
from faxnum.services.accounts import (
    account_id_for,
    create_account,
    list_accounts,
    prepare_registration,
    rotate_key,
    set_disabled,
)
from faxnum.services.billing import credit_account
from faxnum.services.dashboard import grant_operator

accounts_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


@accounts_app.command("create")
def create(
    email: str,
    credit: Annotated[str, typer.Option(help="Opening credit, e.g. 100.00.")] = "0",
    password: Annotated[
        bool, typer.Option("--password", help="Ask for a password for v2 login (hidden).")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    operator: Annotated[
        bool, typer.Option("--operator", help="Sees the whole inventory in the dashboard.")
    ] = False,
) -> None:
    """Create an account; its API key is printed on the last line. A password is never an
    argument: arguments show in the process list and the shell's history."""
    settings = load_settings()
    amount = amount_option(credit, "--credit")
    secret = None
    if password_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    elif password:
        secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with operator_database(settings) as database:
        cipher = checked_cipher(settings, database)
        registration = prepare_registration(email, secret, password_required=False)
        with database.unit_of_work() as uow:
            created = create_account(
                uow,
                cipher,
                registration.email,
                datetime.now(UTC),
                password_hash=registration.password_hash,
                opening_credit=amount,
            )
        if operator:
            with database.unit_of_work() as uow:
                grant_operator(uow, created.account_id)
    kind = "operator account" if operator else "account"
    console.print(f"Created {kind} {created.account_id} with credit {amount:.2f}.")
    print(created.api_key)


@accounts_app.command("list")
def list_() -> None:
    """Every account with its balance."""
    with operator_database(load_settings()) as database, database.reader() as uow:
        accounts = list_accounts(uow)
    table = Table("id", "email", "parent", "balance", "status", "created")
    for account in accounts:
        table.add_row(
            str(account.id),
            account.email,
            str(account.parent_id or ""),
            f"{account.balance:.2f}",
            "disabled" if account.disabled else "active",
            account.created_at.strftime("%Y-%m-%d"),
        )
    console.print(table)


@accounts_app.command("credit")
def credit_(
    email: str,
    amount: str,
    note: Annotated[str, typer.Option(help="Ledger description.")] = "Credit by operator",
) -> None:
    """Add money to an account's balance (written to its ledger)."""
    value = amount_option(amount, "AMOUNT")
    with operator_database(load_settings()) as database, database.unit_of_work() as uow:
        credit_account(uow, account_id_for(uow, email), value, note, datetime.now(UTC))
    console.print(f"Credited {value:.2f} to {email}.", highlight=False)


@accounts_app.command("disable")
def disable(email: str) -> None:
    """Refuse every request of the account (401) until enabled again."""
    with operator_database(load_settings()) as database, database.unit_of_work() as uow:
        set_disabled(uow, email, True)
    console.print(f"Disabled {email}.", highlight=False)


@accounts_app.command("enable")
def enable(email: str) -> None:
    with operator_database(load_settings()) as database, database.unit_of_work() as uow:
        set_disabled(uow, email, False)
    console.print(f"Enabled {email}.", highlight=False)


@keys_app.command("rotate")
def rotate(email: str) -> None:
    """Replace the account's API key; the old one stops working at once. Prints the new key."""
    settings = load_settings()
    with operator_database(settings) as database:
        cipher = checked_cipher(settings, database)
        with database.unit_of_work() as uow:
            api_key = rotate_key(uow, cipher, account_id_for(uow, email), datetime.now(UTC))
    console.print(f"Rotated the key of {email}.", highlight=False)
    print(api_key)
