"""The `faxnum` command: serving, schema and demo data; the rest in sub-commands."""

import asyncio
import os
import tempfile
from datetime import UTC, datetime
from typing import Annotated

import typer

from faxnum import __version__
from faxnum.cli.accounts import accounts_app, keys_app
from faxnum.cli.backup import backup
from faxnum.cli.billing import billing_app
from faxnum.cli.client import register as register_client_commands
from faxnum.cli.common import (
    checked_cipher,
    console,
    errors,
    fail,
    load_settings,
    operator_database,
)
from faxnum.cli.dids import dids_app
from faxnum.cli.failures import run_reporting_failures
from faxnum.cli.gateways import gateways_app
from faxnum.cli.inventory import export_app, import_app
from faxnum.cli.secret import secret_app
from faxnum.cli.webhooks import webhooks_app
from faxnum.config import Settings
from faxnum.security.secrets import derived_secret
from faxnum.store.db.migrate import upgrade

GRACEFUL_SHUTDOWN_S = 30  # on SIGTERM, in-flight requests get this long to finish

app = typer.Typer(
    help="faxnum: fax number provisioning over the Fax.to v2 API. "
    "--debug anywhere shows the traceback of a failure.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # failures are one line (cli/failures.py)
)


def _print_version(asked: bool) -> None:
    if asked:
        print(f"faxnum {__version__}")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print it."),
    ] = False,
) -> None:
    """faxnum: fax number provisioning over the Fax.to v2 API."""


def run() -> None:
    """The `faxnum` command."""
    run_reporting_failures(app)


app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(billing_app, name="billing")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(secret_app, name="secret")
app.add_typer(dids_app, name="dids")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(gateways_app, name="gateways")
register_client_commands(app)
app.command("backup")(backup)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
    demo: Annotated[
        bool, typer.Option(help="Load demo inventory if empty; print a demo key.")
    ] = False,
    access_log: Annotated[bool, typer.Option(help="Log each request (keys redacted).")] = True,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Proxies whose X-Forwarded-For to believe [FAXNUM_TRUSTED_PROXIES; none]."
        ),
    ] = None,
) -> None:
    """Migrate the database, then serve the v2 API."""
    # The server's own modules load here, not for every other command.
    from faxnum.api.edge.ratelimit import RateLimiter
    from faxnum.api.server import exec_server

    settings = served_at(load_settings(), host, port)
    trusted = forwarded_allow_ips or settings.trusted_proxies
    # With several workers, each writes its metrics here and /metrics adds them up
    # (api/edge/metrics.py); one worker keeps them in memory, which costs a sixth of what
    # the files do per request. Set before prometheus_client is first imported.
    metrics_dir = None
    if workers > 1:
        metrics_dir = tempfile.mkdtemp(prefix="faxnum-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    else:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if workers > 1 and not settings.redis_url:
        errors.print(
            f"warning: {workers} workers and no FAXNUM_REDIS_URL: each worker counts its own "
            f"rate-limit budgets, so every limit is up to {workers} times looser",
            highlight=False,
        )
    if settings.redis_url:
        limiter = RateLimiter(settings.rate_limit, settings.redis_url)
        if not asyncio.run(limiter.reachable()):
            raise fail("Redis (FAXNUM_REDIS_URL) does not answer: every request would get 503")
    with operator_database(settings) as database:
        cipher = checked_cipher(settings, database)  # refuse to serve keys no one can open
        ready, demo_password = None, ""
        if demo:  # numbering data, loaded only for it: a worker's memory stays small
            from faxnum.services.demo import prepare_demo

            # The demo account's dashboard password: the same on every run of this data
            # directory, and known to no one without its secret.
            demo_password = derived_secret(settings.effective_secrets[0], "demo dashboard password")
            ready = prepare_demo(
                database.unit_of_work,
                cipher,
                settings.demo_email,
                settings.demo_credit,
                datetime.now(UTC),
                demo_password,
            )
    # Standard error: standard output carries the JSON access log, one line a request.
    if ready is not None:
        if ready.inventory is not None:
            errors.print(
                f"Loaded demo inventory: {ready.inventory.groups_created} DID groups, "
                f"{ready.inventory.dids_added} DIDs."
            )
        errors.print(f"Demo account: {settings.demo_email}")
        errors.print(f"API key: {ready.account.api_key}", highlight=False)
        errors.print(
            f"Dashboard: http://{host}:{port}/dashboard (sign in as {settings.demo_email} "
            f"with password {demo_password})",
            highlight=False,
        )
    errors.print(
        f"Serving the v2 API at http://{host}:{port}/api/v2 (docs: http://{host}:{port}/docs)"
    )
    options = {
        "host": host,
        "port": port,
        "workers": workers,
        "access_log": access_log,
        "trusted_proxies": trusted,
        "graceful_shutdown_s": GRACEFUL_SHUTDOWN_S,
    }
    exec_server(options, metrics_dir, settings)  # this process becomes the server


def served_at(settings: Settings, host: str, port: int) -> Settings:
    """The settings, knowing the address served: links handed to clients point there
    unless FAXNUM_PUBLIC_URL says where clients reach this service."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104 (mapping a wildcard, not binding)
    if ":" in shown:
        shown = f"[{shown}]"
    if settings.public_url is None and host in ("0.0.0.0", "::"):  # noqa: S104
        errors.print(
            "warning: serving on every address and FAXNUM_PUBLIC_URL unset: fax links point "
            f"to http://{shown}:{port}; set FAXNUM_PUBLIC_URL to where clients reach this server",
            highlight=False,
        )
    return settings.model_copy(update={"served_url": f"http://{shown}:{port}"})


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    settings = load_settings()
    upgrade(settings.effective_database_url)
    console.print("Database is at the latest revision.")


@app.command("seed-demo")
def seed_demo() -> None:
    """Load the demo inventory (USA, CAN, GBR from real numbering data); idempotent."""
    from faxnum.services.demo import seed_demo_inventory  # numbering data: only here

    with operator_database(load_settings()) as database:
        summary = seed_demo_inventory(database.unit_of_work, datetime.now(UTC), only_if_empty=False)
    assert summary is not None
    console.print(
        f"DID groups created: {summary.groups_created}; DIDs added: {summary.dids_added}; "
        f"already present: {summary.dids_existing}."
    )


if __name__ == "__main__":
    run()
