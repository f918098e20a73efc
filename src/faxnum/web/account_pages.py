"""Dashboard pages for what an account manages beside its numbers: sub-accounts,
trunks, webhooks and reservations. Same services as the API, same rules."""

from collections.abc import Callable
from functools import partial

from fastapi import Request
from fastapi.responses import Response

from faxnum.api.edge.auth import count_account_change
from faxnum.api.state import state_of
from faxnum.domain.errors import DomainError, Invalid
from faxnum.domain.orders import QuantityWanted, ReservationWanted
from faxnum.domain.reservations import DEFAULT_TTL_SECONDS
from faxnum.domain.text import is_decimal_number
from faxnum.domain.webhooks import SUBSCRIBABLE, parse_event_types
from faxnum.outbound.addresses import registration_url
from faxnum.security.passwords import with_password_work
from faxnum.services.accounts import prepare_registration
from faxnum.services.dashboard import DashboardUnitOfWork, Viewer
from faxnum.services.orders import place_order
from faxnum.services.reservations import cancel, reservations_page, reserve
from faxnum.services.subaccounts import (
    create_subaccount,
    list_subaccounts,
    rotate_subaccount_key,
    set_subaccount_disabled,
)
from faxnum.services.trunks import add_trunk, trunks_page
from faxnum.services.webhooks import (
    add_webhook,
    deliveries_page,
    redeliver,
    webhook,
    webhooks_page,
)
from faxnum.web.forms import act_on_path_id, form, paging, path_id, read, write, write_then_redirect
from faxnum.web.pages import problem_page, redirect, render

# Sub-accounts


async def subaccounts(request: Request, viewer: Viewer) -> Response:
    page = await read(
        request, partial(list_subaccounts, caller=viewer.caller, wanted=paging(request))
    )
    return render(request, "subaccounts.html", "Sub-accounts", viewer, page=page)


async def create_sub(request: Request, viewer: Viewer) -> Response:
    fields = await form(request)
    await count_account_change(request, viewer.caller.payer_id)
    state = state_of(request)
    try:
        registration = await with_password_work(
            partial(prepare_registration, fields.get("email"), fields.get("password"), False)
        )
        created = await write(
            request,
            partial(
                create_subaccount,
                cipher=state.cipher,
                caller=viewer.caller,
                registration=registration,
                now=state.clock(),
                most=state.settings.max_subaccounts,
            ),
        )
    except DomainError as problem:
        return problem_page(request, viewer, "Sub-account not created", problem)
    return render(
        request, "key_once.html", "Sub-account created", viewer,
        what=f"sub-account {registration.email}", api_key=created.api_key,
    )  # fmt: skip


async def toggle_sub(request: Request, viewer: Viewer) -> Response:
    fields = await form(request)
    disabled = fields.get("disabled") == "yes"
    return await write_then_redirect(
        request, viewer, "Sub-account not changed",
        lambda: partial(
            set_subaccount_disabled, caller=viewer.caller,
            subaccount_id=path_id(request, "subaccount_id"), disabled=disabled,
        ),
        "/dashboard/subaccounts",
    )  # fmt: skip


async def rotate_sub(request: Request, viewer: Viewer) -> Response:
    await form(request)
    await count_account_change(request, viewer.caller.payer_id)
    state = state_of(request)
    try:
        sub_id = path_id(request, "subaccount_id")
        new_key = await write(
            request,
            partial(
                rotate_subaccount_key, cipher=state.cipher, caller=viewer.caller,
                subaccount_id=sub_id, now=state.clock(),
            ),
        )  # fmt: skip
    except DomainError as problem:
        return problem_page(request, viewer, "Key not rotated", problem)
    return render(
        request, "key_once.html", "Sub-account key rotated", viewer,
        what=f"sub-account {sub_id}", api_key=new_key,
    )  # fmt: skip


# Trunks


async def trunks(request: Request, viewer: Viewer) -> Response:
    page = await read(request, partial(trunks_page, caller=viewer.caller, wanted=paging(request)))
    return render(request, "trunks.html", "Trunks", viewer, page=page)


async def create_trunk(request: Request, viewer: Viewer) -> Response:
    fields = await form(request)
    return await write_then_redirect(
        request, viewer, "Trunk not added",
        lambda: partial(
            add_trunk, caller=viewer.caller, name=str(fields.get("name") or ""),
            uri=str(fields.get("uri") or ""), t38=fields.get("t38") == "yes",
            is_default=fields.get("default") == "yes",
            allow_private=state_of(request).settings.trunk_allow_private,
        ),
        "/dashboard/trunks",
    )  # fmt: skip


# Webhooks


async def webhooks(request: Request, viewer: Viewer) -> Response:
    page = await read(request, partial(webhooks_page, caller=viewer.caller, wanted=paging(request)))
    return render(
        request, "webhooks.html", "Webhooks", viewer, page=page,
        event_types=[e.value for e in SUBSCRIBABLE],
    )  # fmt: skip


async def create_webhook(request: Request, viewer: Viewer) -> Response:
    fields = await form(request)
    state = state_of(request)
    try:
        events = parse_event_types([str(e) for e in fields.get("events", [])] or None)
        url = await registration_url(str(fields.get("url") or ""), state.settings.outbound_policy)
        created, secret = await write(
            request,
            partial(
                add_webhook, caller=viewer.caller, url=url, events=events,
                cipher=state.cipher, now=state.clock(),
            ),
        )  # fmt: skip
    except DomainError as problem:
        return problem_page(request, viewer, "Webhook not added", problem)
    return render(
        request, "key_once.html", "Webhook added", viewer,
        what=f"webhook {created.id} ({created.url}); its signing secret",
        api_key=secret,
    )  # fmt: skip


async def deliveries(request: Request, viewer: Viewer) -> Response:
    try:
        hook_id = path_id(request, "webhook_id")
        hook = await read(request, partial(webhook, caller=viewer.caller, webhook_id=hook_id))
        page = await read(
            request,
            partial(
                deliveries_page, caller=viewer.caller, webhook_id=hook_id, wanted=paging(request)
            ),
        )
    except DomainError as problem:
        return problem_page(request, viewer, "Webhook not found", problem)
    return render(
        request, "deliveries.html", f"Deliveries to {hook.url}", viewer, hook=hook, page=page
    )


async def send_again(request: Request, viewer: Viewer) -> Response:
    await form(request)
    now = state_of(request).clock()
    try:
        hook_id, delivery_id = path_id(request, "webhook_id"), path_id(request, "delivery_id")
        await write(
            request,
            partial(
                redeliver, caller=viewer.caller, webhook_id=hook_id, delivery_id=delivery_id,
                now=now,
            ),
        )  # fmt: skip
    except DomainError as problem:
        return problem_page(request, viewer, "Not sent again", problem)
    return redirect(f"/dashboard/webhooks/{hook_id}/deliveries")


# Reservations


async def reservations(request: Request, viewer: Viewer) -> Response:
    page = await read(
        request, partial(reservations_page, caller=viewer.caller, wanted=paging(request))
    )
    now = state_of(request).clock()
    return render(request, "reservations.html", "Reservations", viewer, page=page, now=now)


async def reserve_from_group(request: Request, viewer: Viewer) -> Response:
    fields = await form(request)
    state = state_of(request)
    raw = str(fields.get("quantity") or "1")

    def holding() -> Callable[[DashboardUnitOfWork], object]:
        group_id = path_id(request, "group_id")
        if not is_decimal_number(raw) or not 1 <= int(raw) <= 100:
            raise Invalid.field("quantity", "must be a whole number from 1 to 100")
        return partial(
            reserve, caller=viewer.caller, wanted=QuantityWanted(group_id, int(raw)),
            ttl_seconds=DEFAULT_TTL_SECONDS, max_reserved=state.settings.max_reserved,
            now=state.clock(),
        )  # fmt: skip

    return await write_then_redirect(
        request, viewer, "Not reserved", holding, "/dashboard/reservations?done=reserved"
    )


async def order_reservation(request: Request, viewer: Viewer) -> Response:
    await form(request)
    now = state_of(request).clock()
    return await write_then_redirect(
        request, viewer, "Not ordered",
        lambda: partial(
            place_order, caller=viewer.caller,
            wanted=ReservationWanted(path_id(request, "reservation_id")), now=now,
        ),
        "/dashboard/numbers?done=ordered",
    )  # fmt: skip


async def cancel_reservation(request: Request, viewer: Viewer) -> Response:
    return await act_on_path_id(
        request, viewer, "Not cancelled", cancel, ("reservation_id", "reservation_id"),
        "/dashboard/reservations",
    )  # fmt: skip


PAGES = [
    ("/dashboard/subaccounts", "GET", subaccounts),
    ("/dashboard/subaccounts", "POST", create_sub),
    ("/dashboard/subaccounts/{subaccount_id}/disabled", "POST", toggle_sub),
    ("/dashboard/subaccounts/{subaccount_id}/rotate", "POST", rotate_sub),
    ("/dashboard/trunks", "GET", trunks),
    ("/dashboard/trunks", "POST", create_trunk),
    ("/dashboard/webhooks", "GET", webhooks),
    ("/dashboard/webhooks", "POST", create_webhook),
    ("/dashboard/webhooks/{webhook_id}/deliveries", "GET", deliveries),
    ("/dashboard/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", "POST", send_again),
    ("/dashboard/reservations", "GET", reservations),
    ("/dashboard/groups/{group_id}/reserve", "POST", reserve_from_group),
    ("/dashboard/reservations/{reservation_id}/order", "POST", order_reservation),
    ("/dashboard/reservations/{reservation_id}/cancel", "POST", cancel_reservation),
]
