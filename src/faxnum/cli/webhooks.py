"""Webhook delivery outside `serve`: a process of its own, or one pass (cron)."""

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Annotated

import typer

from faxnum.cli.common import checked_cipher, console, load_settings, operator_database

webhooks_app = typer.Typer(help="Webhook delivery.", no_args_is_help=True)


@webhooks_app.command("deliver")
def deliver(
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due now, then stop.")
    ] = False,
) -> None:
    """Send queued webhook events (as every `serve` process does unless
    FAXNUM_WEBHOOK_DELIVERY=0). Any number of these may run beside the servers: each
    endpoint is sent to by one worker at a time, in order."""
    from faxnum.outbound.sender import Sender
    from faxnum.services.webhook_delivery import DeliveryWorker

    settings = load_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with operator_database(settings) as database:
        cipher = checked_cipher(settings, database)

        async def run() -> None:
            sender = Sender(settings.outbound_policy, settings.webhook_timeout_s)
            worker = DeliveryWorker(
                database.read,
                database.write,
                sender,
                cipher,
                _utc_now,
                settings.delivery_policy,
            )
            try:
                if once:
                    await worker.deliver_until_idle()
                else:
                    console.print(f"Delivering webhooks as {worker.owner}; Ctrl-C stops.")
                    await worker.run_forever()
            finally:
                await worker.stop()
                await sender.aclose()

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run())


def _utc_now() -> datetime:
    return datetime.now(UTC)
