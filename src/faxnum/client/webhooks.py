"""For receivers: check that a webhook came from faxnum (Standard Webhooks signature,
made with the endpoint's secret, at most five minutes old) before trusting it."""

from collections.abc import Mapping
from typing import Any

from standardwebhooks.webhooks import Webhook as _Verifier
from standardwebhooks.webhooks import WebhookVerificationError as _Refused

from faxnum.client.errors import FaxnumError


class WebhookVerificationError(FaxnumError):
    """Not signed with this secret, too old or too new, or missing its headers."""


def verify_webhook(secret: str, body: bytes | str, headers: Mapping[str, str]) -> dict[str, Any]:
    """The event (`type`, `timestamp`, `data`) if the signature holds; raises otherwise.
    `body` must be the raw bytes received, before any JSON parsing."""
    try:
        event = _Verifier(secret).verify(body, dict(headers))
    except _Refused as refused:
        raise WebhookVerificationError(str(refused)) from None
    if not isinstance(event, dict):
        raise WebhookVerificationError("the body is not an event object")
    return event
