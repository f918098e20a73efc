"""The faxnum Python SDK: `Client` (sync) and `AsyncClient` on httpx, typed results,
one exception tree, retries that never buy twice, and webhook verification."""

from faxnum.client.asynchronous import AsyncClient
from faxnum.client.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    ConnectionError,
    ExhaustedError,
    FaxnumError,
    InsufficientBalanceError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from faxnum.client.sync import Client
from faxnum.client.webhooks import WebhookVerificationError, verify_webhook

__all__ = [
    "ApiError",
    "AsyncClient",
    "AuthenticationError",
    "Client",
    "ConflictError",
    "ConnectionError",
    "ExhaustedError",
    "FaxnumError",
    "InsufficientBalanceError",
    "NotFoundError",
    "ProtocolError",
    "RateLimitError",
    "ServerError",
    "ValidationError",
    "WebhookVerificationError",
    "verify_webhook",
]
