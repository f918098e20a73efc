"""One webhook POST, made safely: the address checked and pinned (the connection goes
to the address that was checked, TLS still verified for the host name), no redirect
followed, connect and total time bounded, at most a small part of the answer read."""

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

from faxnum import __version__
from faxnum.outbound.addresses import OutboundPolicy, UnsafeUrl, check_url, resolve_allowed

EXCERPT_BYTES = 1024
MAX_ERROR = 500
MAX_CLIENTS = 64


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    duration_ms: int
    error: str | None  # None: the endpoint took it (2xx)
    excerpt: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


class Sender:
    def __init__(self, policy: OutboundPolicy, timeout_s: float) -> None:
        self._policy = policy
        self._timeout_s = timeout_s
        # One connection pool per host: a connection opened (and TLS-verified) for one
        # host name is never reused for another name on the same address.
        self._clients: dict[tuple[str, str, int | None], httpx.AsyncClient] = {}

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        # Loaded at the first delivery, not at start: most serving processes never send.
        import httpx

        started = time.monotonic()
        status, error, excerpt = None, None, None
        try:
            async with asyncio.timeout(self._timeout_s):
                status, excerpt, location = await self._post(url, body, headers)
            if 300 <= status < 400:
                error = (
                    f"answered {status} redirecting to {location or '?'}; "
                    "redirects are not followed"
                )
            elif not 200 <= status < 300:
                error = f"answered {status}"
        except UnsafeUrl as unsafe:
            error = f"not sent: the URL {unsafe}"
        except TimeoutError:
            error = f"no answer within {self._timeout_s:g} s"
        except httpx.HTTPError as failure:
            error = (
                f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
            )
        duration_ms = round((time.monotonic() - started) * 1000)
        if error is not None:
            error = error.replace("\x00", "\ufffd")[:MAX_ERROR]
        return SendResult(status, duration_ms, error, excerpt)

    async def _post(
        self, url: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, str | None, str | None]:
        parsed = check_url(url, self._policy)
        address = (await resolve_allowed(parsed, self._policy))[0]
        pinned = parsed.copy_with(host=str(address))
        extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
        host_header = parsed.netloc.decode("ascii").rpartition("@")[2]
        client = self._client(parsed)
        request = client.build_request(
            "POST",
            pinned,
            content=body,
            headers={**headers, "host": host_header, "content-type": "application/json"},
            extensions=extensions,
        )
        response = await client.send(request, stream=True)
        try:
            excerpt = await _excerpt(response)
        finally:
            await response.aclose()
        return response.status_code, excerpt, response.headers.get("location")

    def _client(self, url: "httpx.URL") -> "httpx.AsyncClient":
        import httpx

        key = (url.scheme, url.host, url.port)
        client = self._clients.get(key)
        if client is None:
            if len(self._clients) >= MAX_CLIENTS:
                oldest = next(iter(self._clients))
                asyncio.get_running_loop().create_task(self._clients.pop(oldest).aclose())
            client = httpx.AsyncClient(
                follow_redirects=False,
                trust_env=False,  # no proxy from the environment between us and the check
                timeout=httpx.Timeout(self._timeout_s, connect=min(5.0, self._timeout_s)),
                headers={"user-agent": f"faxnum-webhooks/{__version__}"},
            )
            self._clients[key] = client
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()


async def _excerpt(response: "httpx.Response") -> str | None:
    kept = b""
    async for chunk in response.aiter_raw():
        kept += chunk
        if len(kept) >= EXCERPT_BYTES:
            break
    if not kept:
        return None
    # Stored as text: no NUL (PostgreSQL text cannot hold it), whatever the endpoint sent.
    return kept[:EXCERPT_BYTES].decode("utf-8", "replace").replace("\x00", "\ufffd")
