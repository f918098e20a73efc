"""Request bodies beyond a limit get 413 in the v2 envelope, declared or streamed (`Edge`).

(Starlette's own limit answers in plain text, outside the app's error handling.)
"""

from starlette.types import Message, Receive, Scope

TOO_LARGE = "Request body too large."


class BodyTooLarge(Exception):
    """Raised from `receive` once the body passes the limit; answered with 413."""


def declared_too_large(scope: Scope, max_bytes: int) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value) > max_bytes
            except ValueError:
                return False
    return False


def limited(receive: Receive, max_bytes: int) -> Receive:
    """`receive`, raising BodyTooLarge once the body received passes `max_bytes`."""
    received = 0

    async def limited_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise BodyTooLarge
        return message

    return limited_receive
