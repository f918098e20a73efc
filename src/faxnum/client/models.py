"""What the API answers, typed: every field under its wire name, money as `Decimal`
(read from the JSON text exactly, never through a float). Fields a newer server adds
are kept (`model_extra`), so an older client never breaks on them."""

from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class WireModel(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class Country(WireModel):
    country: str
    slug: str
    a2_code: str  # despite the name, ISO 3166-1 alpha-3
    dial_code: int


class State(WireModel):
    id: str
    name: str
    code: str


class AreaCode(WireModel):
    country_code: str
    state_id: int | None
    area_code: str


class DidGroup(WireModel):
    did_group_id: int
    area_code: str
    city_name: str | None
    country_code: str
    state_id: int | None
    type: str
    stock: int
    setup_price: Decimal
    monthly_price: Decimal
    features: list[str]


class ProvisionedNumber(WireModel):
    id: int
    didid: int
    did_id: int
    did_group_id: int
    country_code: str
    city_name: str | None
    area_code: str
    number: str
    type: str
    trunk_id: int


class Number(WireModel):
    id: int
    order_reference: str | None
    country_code: str
    country: str
    city_name: str | None
    area_code: str
    did_group_id: int
    did_number: str
    expiration_date: str
    status: str
    trunk_id: int | None = None  # None only from a server that does not name it


class LedgerEntry(WireModel):
    id: int
    created_at: str
    kind: str
    description: str
    amount: Decimal
    number_id: int | None


class Subuser(WireModel):
    id: int
    email: str
    disabled: bool
    created_at: str


class AvailableNumber(WireModel):
    number: str
    did_group_id: int
    country_code: str
    city_name: str | None
    area_code: str
    type: str
    setup_price: Decimal
    monthly_price: Decimal
    features: list[str]


class Reservation(WireModel):
    id: int
    numbers: list[str]
    created_at: str
    expires_at: str
    status: str


class Order(WireModel):
    id: int
    created_at: str
    numbers: list[ProvisionedNumber]
    total_charged: Decimal


class Trunk(WireModel):
    id: int
    account_id: int | None = None  # None only from a server that does not name it
    name: str
    uri: str | None
    t38: bool
    is_default: bool


class PhpDate(WireModel):
    date: str  # "2017-08-01 00:00:00.000000", UTC
    timezone_type: int
    timezone: str


class IncomingFax(WireModel):
    """A received fax. `file_url` and `preview_file` open without the key for 24 h;
    `call` (what the gateway reported) only from `Client.fax`."""

    id: int
    did_id: int
    filename: str
    filesize: str
    number: str
    sender: str
    total_pages: int
    created_at: PhpDate
    preview_file: str
    file_url: str
    call: dict[str, Any] | None = None


class Webhook(WireModel):
    id: int
    url: str
    events: list[str]
    all_events: bool
    enabled: bool
    disabled_reason: str | None
    created_at: str
    secret: str | None = None  # on creation and rotation only


class Attempt(WireModel):
    attempt: int
    started_at: str
    status_code: int | None
    duration_ms: int
    error: str | None
    response_excerpt: str | None


class Delivery(WireModel):
    id: int
    webhook_id: int
    message_id: str
    type: str
    status: str
    attempts: int
    created_at: str
    next_attempt_at: str | None
    last_attempt: Attempt | None
    attempt_log: list[Attempt] | None = None  # in a single delivery's answer


class NotificationSettings(WireModel):
    expiring_days: int
    low_balance_threshold: Decimal


class Pagination(WireModel):
    total: int
    count: int
    per_page: int
    current_page: int
    total_pages: int
    links: dict[str, str] = Field(default_factory=dict)


class Page(WireModel, Generic[T]):
    """One page of a listing, and where it stands."""

    items: list[T]
    pagination: Pagination

    @property
    def has_next(self) -> bool:
        return self.pagination.current_page < self.pagination.total_pages
