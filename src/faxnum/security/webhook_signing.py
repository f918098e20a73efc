"""Webhook signing secrets and signatures, as Standard Webhooks defines them (the
`standardwebhooks` package computes every signature; receivers verify with it too)."""

import base64
import os
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook as Signer

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode("ascii")


def signature_header(secrets: Sequence[str], message_id: str, at: datetime, body: str) -> str:
    """`webhook-signature`: one `v1,<base64>` per secret, space-separated, so a receiver
    holding either the new or the previous secret accepts the message."""
    return " ".join(Signer(secret).sign(message_id, at, body) for secret in secrets)
