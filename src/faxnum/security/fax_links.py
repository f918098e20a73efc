"""Links to a fax's PDF and preview that work without the API key, for a while.

A link names the fax, what of it, and when it expires, and carries an HMAC over the
three and the fax's call (so a link can only ever open the fax it was made for) under
a key derived from the operator's secret (every secret still known opens it, as for
the sealed API keys). Changing any part, or the secret, breaks it.
"""

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from faxnum.domain.faxes import Rendition

_CONTEXT = b"faxnum fax links v1"
LINK_PATH = "/receivefax/api/v1/inbox/{fax_id}/{what}"
SHOWN = {Rendition.PDF: "file", Rendition.PREVIEW: "preview"}


@dataclass(frozen=True)
class FaxLinks:
    base_url: str
    keys: tuple[bytes, ...]

    @classmethod
    def of(cls, base_url: str, secrets: Sequence[bytes]) -> "FaxLinks":
        keys = tuple(hmac.new(secret, _CONTEXT, hashlib.sha256).digest() for secret in secrets)
        return cls(base_url.rstrip("/"), keys)

    def url(
        self, fax_id: int, call_id: str, rendition: Rendition, now: datetime, valid: timedelta
    ) -> str:
        expires = int((now + valid).timestamp())
        signature = self._signature(self.keys[0], fax_id, call_id, rendition, expires)
        query = urlencode({"expires": expires, "signature": signature})
        return f"{self.base_url}{LINK_PATH.format(fax_id=fax_id, what=SHOWN[rendition])}?{query}"

    def opens(
        self,
        fax_id: int,
        call_id: str,
        rendition: Rendition,
        expires: str,
        signature: str,
        now: datetime,
    ) -> bool:
        """Whether a link's `expires` and `signature` are ours for this fax and still
        good at `now`."""
        if not expires.isascii() or not expires.isdigit() or len(expires) > 12:
            return False
        if not signature.isascii():
            return False
        if int(expires) < now.timestamp():
            return False
        return any(
            hmac.compare_digest(
                self._signature(key, fax_id, call_id, rendition, int(expires)), signature
            )
            for key in self.keys
        )

    @staticmethod
    def _signature(
        key: bytes, fax_id: int, call_id: str, rendition: Rendition, expires: int
    ) -> str:
        message = f"{fax_id}\n{rendition.value}\n{expires}\n{call_id}".encode()
        digest = hmac.new(key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
