"""When a call is tried again: on a connection error, a 5xx, or the rate limit (403 with
Retry-After, whose wait is honoured), with exponential backoff and jitter. A call that
may have been carried out (the connection dropped after sending it) is tried again
only when repeating it is harmless: reads, and creations under an idempotency key,
which the server answers once whatever the number of tries."""

from typing import Any

import httpx
from tenacity import RetryCallState, retry_if_exception, stop_after_attempt, wait_random_exponential

from faxnum.client.calls import Call
from faxnum.client.errors import ConnectionError, RateLimitError, ServerError

DEFAULT_RETRIES = 3
_BACKOFF = wait_random_exponential(multiplier=0.25, max=8)


class NotSent(ConnectionError):
    """The request never left (no connection): trying again is always harmless."""


def connection_error(error: httpx.TransportError) -> ConnectionError:
    reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return NotSent(f"could not connect to the faxnum server ({reason})")
    return ConnectionError(f"the connection to the faxnum server failed ({reason})")


def policy(call: Call[Any], retries: int) -> dict[str, Any]:
    """Keyword arguments for tenacity's Retrying / AsyncRetrying."""

    def worth_retrying(error: BaseException) -> bool:
        if isinstance(error, RateLimitError | NotSent):
            return True
        return call.repeatable and isinstance(error, ServerError | ConnectionError)

    return {
        "stop": stop_after_attempt(retries + 1),
        "wait": _wait,
        "retry": retry_if_exception(worth_retrying),
        "reraise": True,
    }


def _wait(state: RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome else None
    backoff = float(_BACKOFF(state))
    if isinstance(error, RateLimitError):
        return error.retry_after + backoff / 4  # the server's wait, spread a little
    return backoff
