"""Wire shapes of webhooks, their delivery log and the notification settings."""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
)

from faxnum.api.extension_schemas import _between
from faxnum.api.money_json import Money
from faxnum.api.schemas import Meta
from faxnum.domain.dates import rfc3339
from faxnum.domain.money import CENT
from faxnum.domain.webhooks import (
    MAX_EXPIRING_DAYS,
    MAX_URL_LENGTH,
    SUBSCRIBABLE,
    Attempt,
    Delivery,
    NotificationSettings,
    Webhook,
)

Url = Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL_LENGTH)]
EventName = Annotated[
    str,
    StringConstraints(max_length=40),
    WithJsonSchema({"type": "string", "enum": [t.value for t in SUBSCRIBABLE]}),
]
EVENTS_DESCRIPTION = "Event types to hear; left out, null or empty: every event. Known: " + (
    ", ".join(t.value for t in SUBSCRIBABLE)
)


def _maybe_rfc3339(moment: datetime | None) -> str | None:
    return None if moment is None else rfc3339(moment)


# Requests.


def _json_number(value: object, info: ValidationInfo) -> object:
    """In JSON an amount is a number, as the API writes money ("25" and true are not);
    a form's fields are all text."""
    if info.mode == "json" and isinstance(value, str | bool):
        raise ValueError("must be a number")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))  # the number as written, never a binary fraction
    return value


def _to_cents(amount: Decimal) -> Decimal:
    """Whole cents, as every other amount: a fraction is refused, never rounded away."""
    cents = amount.quantize(CENT, ROUND_HALF_UP)
    if cents != amount:
        raise ValueError("must be in whole cents (at most two decimals)")
    return cents if cents else abs(cents)  # no -0.00


Threshold = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    Field(ge=0, le=10**9),
    AfterValidator(_to_cents),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 10**9, "multipleOf": 0.01}),
]


class WebhookCreate(BaseModel):
    url: Url = Field(description="https:// URL on the public internet.")
    events: list[EventName] | None = Field(
        default=None, max_length=len(SUBSCRIBABLE), description=EVENTS_DESCRIPTION
    )


class WebhookPatch(BaseModel):
    """Fields left out stay as they are; `events` null or empty: every event again."""

    url: Url | None = None
    events: list[EventName] | None = Field(
        default=None, max_length=len(SUBSCRIBABLE), description=EVENTS_DESCRIPTION
    )
    enabled: bool | None = Field(
        default=None, description="true also retries at once whatever was held back."
    )


class NotificationSettingsPatch(BaseModel):
    expiring_days: Annotated[int, *_between(0, MAX_EXPIRING_DAYS)] | None = Field(
        default=None, description="Days before expiry that number.expiring is sent; 0: never."
    )
    low_balance_threshold: Threshold | None = Field(
        default=None,
        description="balance.low is sent when a charge crosses under it (whole cents).",
    )


# Answers.


class WebhookData(BaseModel):
    id: int
    url: str
    events: list[str] = Field(description="What it hears (every event when all_events).")
    all_events: bool
    enabled: bool
    disabled_reason: str | None
    created_at: str = Field(description="RFC 3339, UTC.")

    @classmethod
    def of(cls, webhook: Webhook) -> "WebhookData":
        events = webhook.events or SUBSCRIBABLE
        return cls(
            id=webhook.id,
            url=webhook.url,
            events=[event.value for event in events],
            all_events=webhook.events is None,
            enabled=webhook.enabled,
            disabled_reason=webhook.disabled_reason,
            created_at=rfc3339(webhook.created_at),
        )


class WebhookWithSecret(WebhookData):
    secret: str = Field(
        description="whsec_...: verify signatures with it. Shown on creation and rotation only."
    )


class WebhookResponse(BaseModel):
    status: Literal["success"] = "success"
    data: WebhookData


class WebhookSecretResponse(BaseModel):
    status: Literal["success"] = "success"
    data: WebhookWithSecret


class WebhooksResponse(BaseModel):
    status: Literal["success"] = "success"
    data: list[WebhookData]
    meta: Meta


class AttemptData(BaseModel):
    attempt: int
    started_at: str
    status_code: int | None = Field(description="None: no answer (see error).")
    duration_ms: int
    error: str | None = Field(description="None: the endpoint took it (2xx).")
    response_excerpt: str | None = Field(description="The answer's first 1024 bytes.")

    @classmethod
    def of(cls, attempt: Attempt) -> "AttemptData":
        return cls(
            attempt=attempt.attempt,
            started_at=rfc3339(attempt.started_at),
            status_code=attempt.status_code,
            duration_ms=attempt.duration_ms,
            error=attempt.error,
            response_excerpt=attempt.response_excerpt,
        )


class DeliveryData(BaseModel):
    id: int
    webhook_id: int
    message_id: str = Field(description="The webhook-id header: the same on every retry.")
    type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    created_at: str
    next_attempt_at: str | None = Field(description="When pending: the next try.")
    last_attempt: AttemptData | None

    @classmethod
    def of(cls, delivery: Delivery) -> "DeliveryData":
        return cls(
            id=delivery.id,
            webhook_id=delivery.webhook_id,
            message_id=delivery.message_id,
            type=delivery.type,
            status=delivery.status.value,
            attempts=delivery.attempts,
            created_at=rfc3339(delivery.created_at),
            next_attempt_at=_maybe_rfc3339(delivery.next_attempt_at),
            last_attempt=None if delivery.last is None else AttemptData.of(delivery.last),
        )


class DeliveryDetail(DeliveryData):
    attempt_log: list[AttemptData] = Field(description="Every attempt, oldest first.")


class DeliveryResponse(BaseModel):
    status: Literal["success"] = "success"
    data: DeliveryData


class DeliveryDetailResponse(BaseModel):
    status: Literal["success"] = "success"
    data: DeliveryDetail


class DeliveriesResponse(BaseModel):
    status: Literal["success"] = "success"
    data: list[DeliveryData]
    meta: Meta


class NotificationSettingsData(BaseModel):
    expiring_days: int
    low_balance_threshold: Money

    @classmethod
    def of(cls, settings: NotificationSettings) -> "NotificationSettingsData":
        return cls(expiring_days=settings.expiring_days, low_balance_threshold=settings.low_balance)


class NotificationSettingsResponse(BaseModel):
    status: Literal["success"] = "success"
    data: NotificationSettingsData
