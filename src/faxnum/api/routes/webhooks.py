"""Webhooks: endpoints that hear the account's events, their log, and the settings of
the notices only faxnum sends (expiry warnings, low balance)."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from faxnum.api.body import body_schema, model_body
from faxnum.api.edge.auth import Holder
from faxnum.api.openapi import AUTHENTICATED, merged
from faxnum.api.params import ID_SCHEMA, Paging, parse_id
from faxnum.api.responses import documented, page_meta, success
from faxnum.api.state import state_of
from faxnum.api.webhook_schemas import (
    AttemptData,
    DeliveriesResponse,
    DeliveryData,
    DeliveryDetail,
    DeliveryDetailResponse,
    DeliveryResponse,
    NotificationSettingsData,
    NotificationSettingsPatch,
    NotificationSettingsResponse,
    WebhookCreate,
    WebhookData,
    WebhookPatch,
    WebhookResponse,
    WebhookSecretResponse,
    WebhooksResponse,
    WebhookWithSecret,
)
from faxnum.domain.webhooks import Webhook, WebhookChanges, parse_event_types
from faxnum.outbound.addresses import registration_url
from faxnum.services.webhooks import (
    add_webhook,
    change_notification_settings,
    change_webhook,
    delete_webhook,
    deliveries_page,
    delivery,
    notification_settings,
    redeliver,
    rotate_secret,
    send_test,
    webhook,
    webhooks_page,
)

router = APIRouter(tags=["webhooks"])
WebhookIdPath = Annotated[str, Path(json_schema_extra=ID_SCHEMA)]
DeliveryIdPath = Annotated[str, Path(json_schema_extra=ID_SCHEMA)]
URL_REFUSED = {422: "Invalid parameters, or a URL that is not https or not public (`errors.url`)"}


def _with_secret(found: Webhook, secret: str) -> WebhookSecretResponse:
    return WebhookSecretResponse(
        data=WebhookWithSecret(**WebhookData.of(found).model_dump(), secret=secret)
    )


@router.get(
    "/webhooks",
    response_model=None,
    responses=documented(WebhooksResponse, 401, 403, 422),
    openapi_extra=AUTHENTICATED,
    summary="The caller's webhooks",
)
async def list_webhooks(request: Request, holder: Holder, paging: Paging) -> Response:
    state = state_of(request)
    found = await holder.read(webhooks_page, wanted=paging)
    return success(
        WebhooksResponse(
            data=[WebhookData.of(item) for item in found.items],
            meta=page_meta(request, found, state.settings.public_url),
        )
    )


@router.post(
    "/webhooks",
    response_model=None,
    responses=documented(
        WebhookSecretResponse,
        401,
        403,
        409,
        422,
        reasons={409: "The account has its most webhooks", **URL_REFUSED},
    ),
    openapi_extra=merged(AUTHENTICATED, body_schema(WebhookCreate)),
    summary="Register a webhook; its signing secret is shown this once",
)
async def create_webhook(request: Request, holder: Holder) -> Response:
    body = await model_body(request, WebhookCreate)
    state = state_of(request)
    events = parse_event_types(body.events)
    url = await registration_url(body.url, state.settings.outbound_policy)
    created, secret = await holder.write(
        add_webhook,
        url=url,
        events=events,
        cipher=state.cipher,
        now=state.clock(),
    )
    return success(_with_secret(created, secret))


@router.get(
    "/webhooks/{webhook_id}",
    response_model=None,
    responses=documented(WebhookResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="One webhook",
)
async def get_webhook(request: Request, webhook_id: WebhookIdPath, holder: Holder) -> Response:
    found = await holder.read(webhook, webhook_id=parse_id("webhook_id", webhook_id))
    return success(WebhookResponse(data=WebhookData.of(found)))


@router.patch(
    "/webhooks/{webhook_id}",
    response_model=None,
    responses=documented(WebhookResponse, 401, 403, 404, 422, reasons=URL_REFUSED),
    openapi_extra=merged(AUTHENTICATED, body_schema(WebhookPatch)),
    summary="Change a webhook's URL or events, or disable / enable it",
)
async def patch_webhook(request: Request, webhook_id: WebhookIdPath, holder: Holder) -> Response:
    hook_id = parse_id("webhook_id", webhook_id)
    body = await model_body(request, WebhookPatch)
    state = state_of(request)
    all_events = "events" in body.model_fields_set and not body.events
    policy = state.settings.outbound_policy
    changes = WebhookChanges(
        url=None if body.url is None else await registration_url(body.url, policy),
        events=parse_event_types(body.events),
        all_events=all_events,
        enabled=body.enabled,
    )
    changed = await holder.write(change_webhook, webhook_id=hook_id, changes=changes)
    return success(WebhookResponse(data=WebhookData.of(changed)))


@router.delete(
    "/webhooks/{webhook_id}",
    response_model=None,
    responses=documented(WebhookResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="Delete a webhook with its delivery log",
)
async def remove_webhook(request: Request, webhook_id: WebhookIdPath, holder: Holder) -> Response:
    deleted = await holder.write(delete_webhook, webhook_id=parse_id("webhook_id", webhook_id))
    return success(WebhookResponse(data=WebhookData.of(deleted)))


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    response_model=None,
    responses=documented(WebhookSecretResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="A new signing secret (shown this once); the old one also signs for 24 hours",
)
async def rotate_webhook_secret(
    request: Request, webhook_id: WebhookIdPath, holder: Holder
) -> Response:
    state = state_of(request)
    found, secret = await holder.write(
        rotate_secret,
        webhook_id=parse_id("webhook_id", webhook_id),
        cipher=state.cipher,
        now=state.clock(),
    )
    return success(_with_secret(found, secret))


@router.post(
    "/webhooks/{webhook_id}/test",
    response_model=None,
    responses=documented(
        DeliveryResponse, 401, 403, 404, 409, 422, reasons={409: "The webhook is disabled"}
    ),
    openapi_extra=AUTHENTICATED,
    summary="Queue a webhook.test event to this webhook",
)
async def test_webhook(request: Request, webhook_id: WebhookIdPath, holder: Holder) -> Response:
    state = state_of(request)
    queued = await holder.write(
        send_test,
        webhook_id=parse_id("webhook_id", webhook_id),
        now=state.clock(),
    )
    return success(DeliveryResponse(data=DeliveryData.of(queued)))


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=None,
    responses=documented(DeliveriesResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="A webhook's deliveries, newest first, each with its last attempt",
)
async def list_deliveries(
    request: Request, webhook_id: WebhookIdPath, holder: Holder, paging: Paging
) -> Response:
    state = state_of(request)
    found = await holder.read(
        deliveries_page,
        webhook_id=parse_id("webhook_id", webhook_id),
        wanted=paging,
    )
    return success(
        DeliveriesResponse(
            data=[DeliveryData.of(item) for item in found.items],
            meta=page_meta(request, found, state.settings.public_url),
        )
    )


@router.get(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}",
    response_model=None,
    responses=documented(DeliveryDetailResponse, 401, 403, 404, 422),
    openapi_extra=AUTHENTICATED,
    summary="One delivery with every attempt",
)
async def get_delivery(
    request: Request,
    webhook_id: WebhookIdPath,
    delivery_id: DeliveryIdPath,
    holder: Holder,
) -> Response:
    found, attempts = await holder.read(
        delivery,
        webhook_id=parse_id("webhook_id", webhook_id),
        delivery_id=parse_id("delivery_id", delivery_id),
    )
    detail = DeliveryDetail(
        **DeliveryData.of(found).model_dump(),
        attempt_log=[AttemptData.of(attempt) for attempt in attempts],
    )
    return success(DeliveryDetailResponse(data=detail))


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    response_model=None,
    responses=documented(
        DeliveryResponse, 401, 403, 404, 409, 422, reasons={409: "The delivery is still pending"}
    ),
    openapi_extra=AUTHENTICATED,
    summary="Send a delivery's event again (same webhook-id), after what is queued",
)
async def redeliver_delivery(
    request: Request,
    webhook_id: WebhookIdPath,
    delivery_id: DeliveryIdPath,
    holder: Holder,
) -> Response:
    state = state_of(request)
    queued = await holder.write(
        redeliver,
        webhook_id=parse_id("webhook_id", webhook_id),
        delivery_id=parse_id("delivery_id", delivery_id),
        now=state.clock(),
    )
    return success(DeliveryResponse(data=DeliveryData.of(queued)))


@router.get(
    "/notification-settings",
    response_model=None,
    responses=documented(NotificationSettingsResponse, 401, 403),
    openapi_extra=AUTHENTICATED,
    summary="When number.expiring and balance.low are sent",
)
async def get_notification_settings(request: Request, holder: Holder) -> Response:
    found = await holder.read(notification_settings)
    return success(NotificationSettingsResponse(data=NotificationSettingsData.of(found)))


@router.patch(
    "/notification-settings",
    response_model=None,
    responses=documented(NotificationSettingsResponse, 401, 403, 422),
    openapi_extra=merged(AUTHENTICATED, body_schema(NotificationSettingsPatch)),
    summary="Change when number.expiring and balance.low are sent",
)
async def patch_notification_settings(request: Request, holder: Holder) -> Response:
    body = await model_body(request, NotificationSettingsPatch)
    changed = await holder.write(
        change_notification_settings,
        expiring_days=body.expiring_days,
        low_balance=body.low_balance_threshold,
    )
    return success(NotificationSettingsResponse(data=NotificationSettingsData.of(changed)))
