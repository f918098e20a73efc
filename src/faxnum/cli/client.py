"""Client commands: a faxnum server's API from the shell, through the SDK.

The server and key come from FAXNUM_URL / FAXNUM_API_KEY, or from what `faxnum login`
saved. Exit status: 0 done, 1 the API refused (the message says why), 2 a usage
mistake (a missing key among them), 3 the server could not be reached.
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from pydantic import BaseModel

    from faxnum.client import Client

T = TypeVar("T")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
USAGE, API, NETWORK = 2, 1, 3

UrlOption = Annotated[
    str | None, typer.Option("--url", help="The server (default: FAXNUM_URL or `faxnum login`).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON on standard output, for scripts.")]


def _fail(message: str, status: int) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(status)


@contextmanager
def client(url: str | None, *, needs_key: bool = True) -> Iterator["Client"]:
    """The SDK client, with every SDK failure turned into a message and an exit status."""
    from faxnum.client import (
        ApiError,
        AuthenticationError,
        Client,
        ConnectionError,
        ProtocolError,
    )
    from faxnum.client.config import resolve

    try:
        config = resolve(base_url=url)
    except ValueError as wrong:
        raise _fail(f"{wrong}: fix --url or FAXNUM_URL", USAGE) from None
    if needs_key and not config.api_key:
        raise _fail("no API key: set FAXNUM_API_KEY, or run `faxnum login` first", USAGE)
    try:
        with Client(base_url=config.base_url) as sdk:
            yield sdk
    except AuthenticationError as refused:
        raise _fail(f"{refused.message} Run `faxnum login` with a valid key.", API) from None
    except ApiError as refused:
        details = "; ".join(f"{k}: {', '.join(v)}" for k, v in refused.errors.items())
        raise _fail(refused.message + (f" ({details})" if details else ""), API) from None
    except ProtocolError as confused:
        raise _fail(f"{confused} Check --url or FAXNUM_URL.", API) from None
    except ConnectionError as unreachable:
        raise _fail(
            f"{unreachable} at {config.base_url}. Is the server running? "
            "Set FAXNUM_URL or use --url.",
            NETWORK,
        ) from None


def _json(value: Any) -> None:
    """Models and lists of them as JSON; money as exact decimal strings."""

    def plain(item: Any) -> Any:
        return item.model_dump(mode="json") if hasattr(item, "model_dump") else item

    data = [plain(item) for item in value] if isinstance(value, list) else plain(value)
    print(json.dumps(data, indent=2, default=str))


def _table(title: str, rows: list["BaseModel"], columns: dict[str, Callable[[Any], Any]]) -> None:
    if not rows:  # said in words: an empty table reads like a display fault
        out.print(f"{title}: none.", highlight=False)
        return
    table = Table(title=title, title_justify="left")
    for name in columns:
        table.add_column(name)
    for row in rows:
        table.add_row(*("" if (v := get(row)) is None else str(v) for get in columns.values()))
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add the client commands to the `faxnum` command."""

    @app.command("login", rich_help_panel="Client")
    def login(
        url: UrlOption = None,
        email: Annotated[
            str | None, typer.Option(help="Log in with email and password instead of a key.")
        ] = None,
    ) -> None:
        """Save the server and your API key for the client commands.

        Kept in your config directory, readable by you only. Asks for the key (or with
        --email, the password) without echoing it, and checks it before saving."""
        from faxnum.client.config import resolve, save

        try:
            base_url = resolve(base_url=url).base_url
        except ValueError as wrong:
            raise _fail(f"{wrong}: fix --url or FAXNUM_URL", USAGE) from None
        with client(base_url, needs_key=False) as sdk:
            if email:
                key = sdk.log_in(email, typer.prompt("Password", hide_input=True))
            else:
                key = typer.prompt("API key", hide_input=True).strip()
            from faxnum.client import Client

            with Client(key, base_url) as checking:
                balance = checking.balance()  # the key works, or the command fails here
        path = save(base_url, key)
        err.print(f"Logged in to {base_url} (balance {balance:.2f}); saved in {path}.")

    @app.command("groups", rich_help_panel="Client")
    def groups(
        country: Annotated[str, typer.Argument(help="ISO alpha-3, e.g. USA.")],
        area_code: Annotated[str | None, typer.Option(help="e.g. 204")] = None,
        state_id: Annotated[int | None, typer.Option(help="From the states listing.")] = None,
        city: Annotated[str | None, typer.Option(help="City name pattern, % as wildcard.")] = None,
        url: UrlOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """DID groups of a country: stock and prices."""
        with client(url) as sdk:
            found = sdk.did_groups(
                country, area_code=area_code, state_id=state_id, city_name_pattern=city
            )
        if as_json:
            return _json(found)
        _table(
            f"DID groups in {country.upper()}",
            list(found),
            {
                "group": lambda g: g.did_group_id,
                "area code": lambda g: g.area_code,
                "city": lambda g: g.city_name,
                "type": lambda g: g.type,
                "stock": lambda g: g.stock,
                "setup": lambda g: f"{g.setup_price:.2f}",
                "monthly": lambda g: f"{g.monthly_price:.2f}",
            },
        )

    @app.command("search", rich_help_panel="Client")
    def search(
        country: Annotated[str, typer.Argument(help="ISO alpha-3, e.g. USA.")],
        contains: Annotated[
            str | None, typer.Option(help="Digits, keypad letters (FAX) and *.")
        ] = None,
        starts_with: Annotated[str | None, typer.Option()] = None,
        ends_with: Annotated[str | None, typer.Option()] = None,
        area_code: Annotated[str | None, typer.Option()] = None,
        group: Annotated[int | None, typer.Option(help="A DID group id.")] = None,
        limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
        page: Annotated[int, typer.Option(min=1)] = 1,
        url: UrlOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Numbers anyone could take now (vanity patterns too)."""
        with client(url) as sdk:
            found = sdk.available_numbers(
                country,
                page=page,
                limit=limit,
                contains=contains,
                starts_with=starts_with,
                ends_with=ends_with,
                area_code=area_code,
                did_group_id=group,
            )
        if as_json:
            return _json(found.items)
        _table(
            f"Available in {country.upper()} (page {page} of {found.pagination.total_pages}, "
            f"{found.pagination.total} in all)",
            list(found.items),
            {
                "number": lambda n: n.number,
                "group": lambda n: n.did_group_id,
                "city": lambda n: n.city_name,
                "setup": lambda n: f"{n.setup_price:.2f}",
                "monthly": lambda n: f"{n.monthly_price:.2f}",
            },
        )

    @app.command("provision", rich_help_panel="Client")
    def provision(
        group_id: Annotated[int, typer.Argument(help="The DID group to take a number from.")],
        url: UrlOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Provision the lowest available number of a group (charged to your balance)."""
        with client(url) as sdk:
            number = sdk.provision(group_id)
        if as_json:
            return _json(number)
        out.print(f"Provisioned {number.number} (number id {number.id}).")

    @app.command("order", rich_help_panel="Client")
    def order(
        numbers: Annotated[
            list[str] | None, typer.Argument(help="E.164 numbers to order.", show_default=False)
        ] = None,
        group: Annotated[int | None, typer.Option(help="Order from this group...")] = None,
        quantity: Annotated[int | None, typer.Option(help="...this many numbers.")] = None,
        reservation: Annotated[int | None, typer.Option(help="Order a reservation.")] = None,
        url: UrlOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Order several numbers, all or nothing.

        Chosen numbers, --group with --quantity, or --reservation."""
        shapes = [bool(numbers), group is not None or quantity is not None, reservation is not None]
        if sum(shapes) != 1 or (shapes[1] and (group is None or quantity is None)):
            raise _fail("give numbers, or --group with --quantity, or --reservation", USAGE)
        with client(url) as sdk:
            placed = sdk.order(
                numbers=numbers or None,
                did_group_id=group,
                quantity=quantity,
                reservation_id=reservation,
            )
        if as_json:
            return _json(placed)
        out.print(f"Order {placed.id}: {len(placed.numbers)} numbers, {placed.total_charged:.2f}")
        for number in placed.numbers:
            out.print(f"  {number.number} (number id {number.id})")

    @app.command("numbers", rich_help_panel="Client")
    def numbers_(url: UrlOption = None, as_json: JsonOption = False) -> None:
        """Every number you (and your sub-accounts) hold."""
        with client(url) as sdk:
            found = list(sdk.iter_numbers())
        if as_json:
            return _json(found)
        _table(
            f"Numbers ({len(found)})",
            list(found),
            {
                "id": lambda n: n.id,
                "number": lambda n: n.did_number,
                "city": lambda n: n.city_name,
                "status": lambda n: n.status,
                "expires": lambda n: n.expiration_date,
                "trunk": lambda n: n.trunk_id,
            },
        )

    @app.command("release", rich_help_panel="Client")
    def release(
        number_id: Annotated[int, typer.Argument(help="The number's id (see `faxnum numbers`).")],
        url: UrlOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Give a number back (no refund of the running month)."""
        with client(url) as sdk:
            released = sdk.release_number(number_id)
        if as_json:
            return _json(released)
        out.print(f"Released {released.did_number}.")

    faxes_app = typer.Typer(help="Faxes received on your numbers.", no_args_is_help=True)
    app.add_typer(faxes_app, name="faxes", rich_help_panel="Client")

    @faxes_app.command("list")
    def faxes_list(
        number: Annotated[
            str | None, typer.Option("--number", help="Only the faxes to this number.")
        ] = None,
        url: UrlOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Received faxes, newest first."""
        with client(url) as sdk:
            found = list(sdk.iter_incoming_faxes(number=number))
        if as_json:
            return _json(found)
        _table(
            f"Faxes ({len(found)})",
            list(found),
            {
                "id": lambda f: f.id,
                "received": lambda f: f.created_at.date[:19],
                "number": lambda f: f.number,
                "from": lambda f: f.sender or "(withheld)",
                "pages": lambda f: f.total_pages,
                "size": lambda f: f.filesize,
            },
        )

    @faxes_app.command("get")
    def faxes_get(
        fax_id: Annotated[int, typer.Argument(help="The fax's id (see `faxnum faxes list`).")],
        output: Annotated[
            str | None, typer.Option("-o", "--output", help="Where to write the PDF.")
        ] = None,
        url: UrlOption = None,
    ) -> None:
        """Download a fax as a PDF (to fax-ID.pdf unless -o says where)."""
        with client(url) as sdk:
            written = sdk.download_fax(fax_id, output or f"fax-{fax_id}.pdf")
        out.print(f"Wrote {written}.", highlight=False)

    @faxes_app.command("delete")
    def faxes_delete(
        fax_id: Annotated[int, typer.Argument(help="The fax's id.")],
        url: UrlOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Delete a fax, its file and its record, now."""
        with client(url) as sdk:
            deleted = sdk.delete_fax(fax_id)
        if as_json:
            return _json(deleted)
        out.print(f"Deleted fax {deleted.id} ({deleted.number}).", highlight=False)

    @app.command("balance", rich_help_panel="Client")
    def balance(url: UrlOption = None, as_json: JsonOption = False) -> None:
        """What you can spend."""
        with client(url) as sdk:
            amount = sdk.balance()
        if as_json:
            return print(json.dumps({"balance": f"{amount:.2f}"}))
        out.print(f"{amount:.2f}")
