"""One router per resource."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

Endpoint = Callable[..., Any]


def get_and_post(router: APIRouter, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
    """v2 endpoints answer GET and POST alike; one route each keeps operation ids unique."""

    def register(endpoint: Endpoint) -> Endpoint:
        router.get(path, **options)(endpoint)
        router.post(path, **options)(endpoint)
        return endpoint

    return register
