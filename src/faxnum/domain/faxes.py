"""Received faxes: what a gateway reports about a call, what the holder's inbox shows,
and the rules both follow (which facts make one call, how sizes and senders read)."""

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from faxnum.domain.errors import Invalid

MAX_CALL_ID = 128
MAX_STATION_ID = 64
MAX_COMPRESSION = 32
_PRINTABLE = re.compile(r"[\x20-\x7e]+")
_SENDER = re.compile(r"\+?[0-9*#]{0,32}")
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
EARLIEST_ARRIVAL = datetime(2000, 1, 1, tzinfo=UTC)
MAX_CLOCK_AHEAD = timedelta(hours=1)


class FaxFormat(StrEnum):
    PDF = "application/pdf"
    TIFF = "image/tiff"


class Rendition(StrEnum):
    """What is kept of a fax: the file as received, and the two shown to its holder,
    made on first request and kept."""

    ORIGINAL = "original"
    PDF = "pdf"
    PREVIEW = "preview"


@dataclass(frozen=True)
class CallFacts:
    """What the gateway says about the call, checked; the same facts again with the
    same file are the same fax."""

    call_id: str
    to: str  # E.164
    sender: str  # digits, no '+'; empty when withheld
    received_at: datetime | None  # None: when it reached faxnum
    remote_station_id: str | None = None
    speed: int | None = None
    duration: int | None = None
    ecm: bool | None = None
    compression: str | None = None


@dataclass(frozen=True)
class FaxLimits:
    max_bytes: int
    max_pages: int
    max_pixels: int  # of one page


@dataclass(frozen=True)
class InspectedFile:
    """A file that passed the checks: its kind, pages and digest."""

    format: FaxFormat
    pages: int
    size: int
    sha256: str


@dataclass(frozen=True)
class Fax:
    id: int
    account_id: int
    did_id: int
    number: str
    sender: str
    total_pages: int
    size: int
    format: FaxFormat
    received_at: datetime
    call_id: str
    remote_station_id: str | None
    speed: int | None
    duration: int | None
    ecm: bool | None
    compression: str | None

    @classmethod
    def arrived(
        cls, fax_id: int, holder: "LiveHolder", facts: CallFacts, file: InspectedFile, now: datetime
    ) -> "Fax":
        """The fax just taken in: the number's holder, the call's facts, the file's."""
        return cls(
            id=fax_id,
            account_id=holder.account_id,
            did_id=holder.did_id,
            number=holder.number,
            sender=facts.sender,
            total_pages=file.pages,
            size=file.size,
            format=file.format,
            received_at=facts.received_at or now,
            call_id=facts.call_id,
            remote_station_id=facts.remote_station_id,
            speed=facts.speed,
            duration=facts.duration,
            ecm=facts.ecm,
            compression=facts.compression,
        )

    @property
    def filename(self) -> str:
        """Always a PDF to the holder: a TIFF is converted when first fetched."""
        return f"fax-{self.id}.pdf"


@dataclass(frozen=True)
class LiveHolder:
    """Who holds a live number now: where its faxes go."""

    did_id: int
    number_id: int
    account_id: int
    number: str


def fingerprint(facts: CallFacts, file_sha256: str) -> str:
    """One digest of the file and every fact: a call repeated with other content is
    told apart from a gateway's retry of the same one."""
    arrived = facts.received_at
    document = {**asdict(facts), "received_at": arrived.isoformat() if arrived else None}
    document["file"] = file_sha256
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def check_call_id(value: str) -> str:
    if not 1 <= len(value) <= MAX_CALL_ID or not _PRINTABLE.fullmatch(value):
        raise Invalid.field("call_id", f"must be 1 to {MAX_CALL_ID} printable ASCII characters")
    return value


def check_sender(value: str) -> str:
    """A caller id as digits without '+' ('*' and '#' kept); empty when withheld."""
    value = value.strip()
    if value.lower() in ("", "anonymous", "unknown", "withheld", "private"):
        return ""
    if not _SENDER.fullmatch(value):
        raise Invalid.field("from", "must be the caller's digits, or empty when withheld")
    return value.removeprefix("+")


def check_station_id(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > MAX_STATION_ID or not _PRINTABLE.fullmatch(value or " "):
        raise Invalid.field(
            "remote_station_id", f"must be at most {MAX_STATION_ID} printable ASCII characters"
        )
    return value or None


def check_compression(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > MAX_COMPRESSION or not _PRINTABLE.fullmatch(value):
        raise Invalid.field(
            "compression", f"must be at most {MAX_COMPRESSION} printable ASCII characters"
        )
    return value.strip()


def check_received_at(value: str, now: datetime) -> datetime:
    """When a gateway says the fax arrived: RFC 3339 with its offset, from 2000 to now
    (a gateway's clock may run an hour ahead); in UTC."""
    reason = "must be an RFC 3339 time with its offset"
    if not _RFC3339.fullmatch(value):
        raise Invalid.field("received_at", reason)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Invalid.field("received_at", reason) from None
    if not EARLIEST_ARRIVAL <= moment <= now + MAX_CLOCK_AHEAD:
        raise Invalid.field("received_at", "must be a moment between 2000 and now")
    return moment


def filesize_text(size: int) -> str:
    """v2's `filesize`: kilobytes with two decimals."""
    return f"{size / 1024:.2f} KB"
