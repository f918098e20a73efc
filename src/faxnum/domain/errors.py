"""Domain errors: raised by services, mapped to HTTP status codes once, at the edge."""

from typing import TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The named resource does not exist (or is not the caller's)."""


def existing(found: T | None, what: str) -> T:
    """`found`, or NotFound naming `what` (another account's item is not found either)."""
    if found is None:
        raise NotFound(f"{what} not found.")
    return found


class Invalid(DomainError):
    """A parameter failed validation; `errors` names each bad parameter."""

    def __init__(self, errors: dict[str, list[str]], message: str = "Invalid parameters.") -> None:
        super().__init__(message)
        self.errors = errors

    @classmethod
    def field(cls, name: str, reason: str) -> "Invalid":
        return cls({name: [reason]}, f"Invalid parameter '{name}': {reason}")

    @classmethod
    def naming(cls, errors: dict[str, list[str]]) -> "Invalid":
        """Every bad parameter of a request in one refusal, worded as the refusals of
        the parameters FastAPI checks."""
        return cls(errors, "Invalid parameters: " + ", ".join(sorted(errors)) + ".")


class Unauthorized(DomainError):
    """Missing, unknown or disabled API key."""


class RateLimited(DomainError):
    """The key spent its request budget; retry after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("Rate limit exceeded. Retry later.")
        self.retry_after = retry_after


class Exhausted(DomainError):
    """A DID group has no DID left to provision."""


class InsufficientBalance(DomainError):
    """The paying account cannot cover the charge."""


class Conflict(DomainError):
    """The request collides with existing state (e.g. a duplicate email)."""


class NumbersUnavailable(Conflict):
    """Some of the numbers asked for cannot be had now: they are named, and nothing
    was done with the others either."""

    def __init__(self, numbers: list[str], verb: str = "provisioned") -> None:
        super().__init__(f"These numbers cannot be {verb} now: {', '.join(numbers)}.")
        self.numbers = numbers


class TooLarge(DomainError):
    """An upload passes a size limit (bytes, pages, pixels): refused before it is read
    further."""


class ClientGone(DomainError):
    """The client closed the connection before its request was read whole."""


class Unavailable(DomainError):
    """A component the request needs is down; the client should retry shortly."""
