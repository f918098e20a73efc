"""Where the SDK and the client commands find the server and the key: arguments first,
then FAXNUM_URL / FAXNUM_API_KEY, then what `faxnum login` saved in the user's config
directory (a file only its owner can read)."""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import httpx
from platformdirs import user_config_path

DEFAULT_URL = "http://127.0.0.1:8000"
API_PREFIX = "/api/v2"


@dataclass(frozen=True)
class ClientConfig:
    base_url: str
    api_key: str | None


def config_file() -> Path:
    return user_config_path("faxnum") / "client.json"


def saved() -> dict[str, str]:
    try:
        found = json.loads(config_file().read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in found.items() if isinstance(v, str)} if isinstance(found, dict) else {}


def resolve(api_key: str | None = None, base_url: str | None = None) -> ClientConfig:
    """The saved key goes only to the server it was saved for: given another URL,
    it stays home."""
    stored = saved()
    url = (base_url or os.environ.get("FAXNUM_URL") or stored.get("url") or DEFAULT_URL).rstrip("/")
    # `serve` prints the API's base (.../api/v2): the server's address is meant.
    url = url.removesuffix(API_PREFIX)
    check_base_url(url)
    saved_key = stored.get("api_key") if stored.get("url") == url else None
    key = api_key or os.environ.get("FAXNUM_API_KEY") or saved_key
    return ClientConfig(url, key)


def check_base_url(url: str) -> None:
    """ValueError unless it is an http(s) URL with a host."""
    try:
        parsed = httpx.URL(url)
        host = parsed.host
    except Exception as error:  # noqa: BLE001 (httpx and idna raise several kinds)
        raise ValueError(f"{url!r} is not a URL ({error})") from None
    if parsed.scheme not in ("http", "https") or not host:
        raise ValueError(f"{url!r} is not an http:// or https:// URL of a faxnum server")


def save(base_url: str, api_key: str) -> Path:
    """Written with mode 0600 from the start (never readable by others, even briefly)."""
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"url": base_url.rstrip("/"), "api_key": api_key}, handle)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return path
