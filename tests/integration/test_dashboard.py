"""The dashboard's sessions and forms, through the HTTP app on both stores: CSRF,
sessions that end server-side, one account's cookie against another's numbers."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.domain.pagination import PageRequest
from faxnum.services.accounts import account_id_for
from faxnum.services.billing import credit_account
from faxnum.services.dashboard import grant_operator
from faxnum.services.gateways import create_gateway
from faxnum.store.db.database import Database
from faxnum.store.db.tables import numbers, web_sessions
from tests.dbstate import snapshot
from tests.factories import add_group
from tests.fax_samples import g4_tiff

PASSWORD = "correct horse battery staple"


@pytest.fixture
def browser(settings: Settings) -> Iterator[TestClient]:
    """A client that keeps cookies and does not follow redirects, over HTTPS."""
    with TestClient(
        create_app(settings), base_url="https://testserver", follow_redirects=False
    ) as test_client:
        yield test_client


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def sign_up(client: TestClient, email: str) -> None:
    token = csrf_of(client.get("/dashboard/signup").text)
    done = client.post(
        "/dashboard/signup", data={"csrf_token": token, "email": email, "password": PASSWORD}
    )
    assert done.status_code == 303, done.text


def credit(database: Database, email: str, amount: str) -> None:
    with database.unit_of_work() as uow:
        account = account_id_for(uow, email)
        credit_account(uow, account, Decimal(amount), "top-up", datetime.now(UTC))


def live_numbers(database: Database) -> int:
    with database.write_engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(numbers).where(numbers.c.released_at.is_(None))
            ).scalar_one()
        )


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(browser: TestClient) -> None:
    token = csrf_of(browser.get("/dashboard/signup").text)
    done = browser.post(
        "/dashboard/signup",
        data={"csrf_token": token, "email": "ada@example.com", "password": PASSWORD},
    )
    cookie = done.headers["set-cookie"]
    assert cookie.startswith("faxnum_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    assert "Path=/dashboard" in cookie


def test_pages_need_a_session_and_carry_a_strict_policy(browser: TestClient) -> None:
    assert browser.get("/dashboard").headers["location"] == "/dashboard/login"
    assert browser.get("/").headers["location"] == "/dashboard"
    page = browser.get("/dashboard/login")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and page.headers["cache-control"] == "no-store"


def test_a_form_post_without_or_with_a_wrong_csrf_token_changes_nothing(
    browser: TestClient, database: Database, settings: Settings
) -> None:
    group = add_group(database, count=3)
    sign_up(browser, "ada@example.com")
    credit(database, "ada@example.com", "50.00")
    before = snapshot(database.write_engine)
    with TestClient(
        create_app(settings), base_url="https://testserver", follow_redirects=False
    ) as stranger:
        sign_up(stranger, "eve@example.com")
        strangers_token = csrf_of(stranger.get("/dashboard").text)

    for data in ({}, {"csrf_token": ""}, {"csrf_token": "forged"}, {"csrf_token": strangers_token}):
        refused = browser.post(f"/dashboard/groups/{group}/provision", data=data)
        assert refused.status_code == 403, data
        assert "nothing was changed" in refused.text
    refused = browser.post("/dashboard/key/rotate", data={"confirm": "yes"})
    assert refused.status_code == 403

    after = snapshot(database.write_engine)
    changed = {t for t in before if before[t] != after[t]}
    assert changed <= {"accounts", "api_keys", "trunks", "ledger_entries", "web_sessions"}
    assert live_numbers(database) == 0  # eve's sign-up aside, nothing was provisioned

    token = csrf_of(browser.get("/dashboard").text)
    done = browser.post(f"/dashboard/groups/{group}/provision", data={"csrf_token": token})
    assert done.status_code == 303 and live_numbers(database) == 1


def test_a_session_cannot_act_on_another_accounts_numbers(
    browser: TestClient, database: Database, settings: Settings
) -> None:
    group = add_group(database, count=3)
    sign_up(browser, "ada@example.com")
    credit(database, "ada@example.com", "50.00")
    token = csrf_of(browser.get("/dashboard").text)
    browser.post(f"/dashboard/groups/{group}/provision", data={"csrf_token": token})
    ada_number = re.search(
        r"/dashboard/numbers/(\d+)/release", browser.get("/dashboard/numbers").text
    )
    assert ada_number
    with TestClient(
        create_app(settings), base_url="https://testserver", follow_redirects=False
    ) as eve:
        sign_up(eve, "eve@example.com")
        eve_token = csrf_of(eve.get("/dashboard").text)
        path = f"/dashboard/numbers/{ada_number.group(1)}/release"
        assert eve.get(path).status_code == 404
        assert eve.post(path, data={"csrf_token": eve_token}).status_code == 404
        assert "No numbers yet" in eve.get("/dashboard/numbers").text
    assert live_numbers(database) == 1


def test_a_logged_out_session_is_dead_on_the_server(
    browser: TestClient, database: Database
) -> None:
    sign_up(browser, "ada@example.com")
    cookie = browser.cookies.get("faxnum_session")
    assert cookie and browser.get("/dashboard").status_code == 200
    token = csrf_of(browser.get("/dashboard").text)
    assert browser.post("/dashboard/logout", data={"csrf_token": token}).status_code == 303

    browser.cookies.set("faxnum_session", cookie, path="/dashboard")  # replayed
    assert browser.get("/dashboard").headers["location"] == "/dashboard/login"
    with database.write_engine.connect() as connection:
        ended = connection.execute(select(web_sessions.c.ended_at)).scalars().all()
        stored = connection.execute(select(web_sessions.c.digest)).scalars().all()
    assert all(moment is not None for moment in ended)
    assert cookie.encode() not in stored  # only a digest of the token is stored


def test_the_operator_view_is_for_operator_accounts_only(
    browser: TestClient, database: Database
) -> None:
    sign_up(browser, "ada@example.com")
    assert browser.get("/dashboard/operator").status_code == 403
    assert browser.get("/dashboard/operator/groups?country=CAN").status_code == 403
    with database.unit_of_work() as uow:
        grant_operator(uow, account_id_for(uow, "ada@example.com"))
    add_group(database, count=4)
    page = browser.get("/dashboard/operator")
    assert page.status_code == 200 and "<svg" in page.text and "CAN" in page.text
    groups = browser.get("/dashboard/operator/groups?country=CAN")
    assert groups.status_code == 200 and "<td>4</td>" in groups.text


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/numbers/abc/release",
        "/dashboard/numbers/99999999999999999999/release",
        "/dashboard/find?country=%27%3B--&area=12a",
        "/dashboard/find?country=CAN&city=%00%00",
        "/dashboard/search?country=CAN&contains=%3Cscript%3E",
        "/dashboard/numbers?page=-1",
        "/dashboard/ledger?page=99999999999999",
        "/dashboard/operator/groups?country=../../etc",
        "/dashboard/inbox?number=%3Cscript%3E",
        "/dashboard/inbox?number=%C2%B2&page=x",
        "/dashboard/inbox/abc/delete",
        "/dashboard/inbox/99999999999999999999/delete",
    ],
)
def test_ugly_input_gets_a_page_never_a_500(browser: TestClient, path: str) -> None:
    sign_up(browser, "ada@example.com")
    answer = browser.get(path)
    assert answer.status_code in (200, 403, 404, 422), answer.text
    assert "<script>" not in answer.text


def field_value(page: str, field_id: str) -> str:
    found = re.search(rf'id="{field_id}" type="text" readonly value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_sub_accounts_are_created_disabled_and_given_new_keys_from_the_dashboard(
    browser: TestClient,
) -> None:
    sign_up(browser, "ada@example.com")
    token = csrf_of(browser.get("/dashboard/subaccounts").text)
    made = browser.post(
        "/dashboard/subaccounts", data={"csrf_token": token, "email": "clerk@example.com"}
    )
    assert made.status_code == 200 and "shown this once" in made.text
    key = field_value(made.text, "secret-value")
    assert browser.get("/api/v2/numbers", headers={"X-API-Key": key}).status_code == 200

    listed = browser.get("/dashboard/subaccounts").text
    sub_id = re.search(r"/dashboard/subaccounts/(\d+)/disabled", listed)
    assert sub_id and "clerk@example.com" in listed
    path = f"/dashboard/subaccounts/{sub_id.group(1)}"
    browser.post(f"{path}/disabled", data={"csrf_token": token, "disabled": "yes"})
    assert browser.get("/api/v2/numbers", headers={"X-API-Key": key}).status_code == 401
    browser.post(f"{path}/disabled", data={"csrf_token": token, "disabled": "no"})
    rotated = browser.post(f"{path}/rotate", data={"csrf_token": token})
    new_key = field_value(rotated.text, "secret-value")
    assert browser.get("/api/v2/numbers", headers={"X-API-Key": key}).status_code == 401
    assert browser.get("/api/v2/numbers", headers={"X-API-Key": new_key}).status_code == 200


def test_reserve_then_order_or_cancel_from_the_dashboard(
    browser: TestClient, database: Database
) -> None:
    group = add_group(database, count=3)
    sign_up(browser, "ada@example.com")
    credit(database, "ada@example.com", "50.00")
    token = csrf_of(browser.get("/dashboard").text)
    for _ in range(2):
        held = browser.post(
            f"/dashboard/groups/{group}/reserve", data={"csrf_token": token, "quantity": "1"}
        )
        assert held.headers["location"] == "/dashboard/reservations?done=reserved"
    listed = browser.get("/dashboard/reservations").text
    first, second = re.findall(r"/dashboard/reservations/(\d+)/order", listed)
    ordered = browser.post(f"/dashboard/reservations/{first}/order", data={"csrf_token": token})
    assert ordered.status_code == 303 and live_numbers(database) == 1
    cancelled = browser.post(f"/dashboard/reservations/{second}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303
    assert "/order" not in browser.get("/dashboard/reservations").text  # none active
    refused = browser.post(f"/dashboard/groups/{group}/reserve", data={"quantity": "1"})
    assert refused.status_code == 403


def test_trunks_are_added_with_their_uri_checked(browser: TestClient) -> None:
    sign_up(browser, "ada@example.com")
    token = csrf_of(browser.get("/dashboard/trunks").text)
    bad = browser.post(
        "/dashboard/trunks", data={"csrf_token": token, "name": "pbx", "uri": "http://x"}
    )
    assert bad.status_code == 422
    good = browser.post(
        "/dashboard/trunks",
        data={"csrf_token": token, "name": "pbx", "uri": "sip:fax@pbx.example.com", "t38": "yes"},
    )
    assert good.status_code == 303
    assert "sip:fax@pbx.example.com" in browser.get("/dashboard/trunks").text


def test_webhooks_show_their_secret_once_and_refuse_private_addresses(
    browser: TestClient, database: Database
) -> None:
    sign_up(browser, "ada@example.com")
    token = csrf_of(browser.get("/dashboard/webhooks").text)
    refused = browser.post(
        "/dashboard/webhooks",
        data={"csrf_token": token, "url": "https://169.254.169.254/latest/meta-data"},
    )
    assert refused.status_code == 422 and "non-public" in refused.text
    made = browser.post(
        "/dashboard/webhooks",
        data={
            "csrf_token": token,
            "url": "https://93.184.215.14/hooks",
            "events": ["number.provisioned", "number.released"],
        },
    )
    assert made.status_code == 200 and "shown this once" in made.text
    secret = field_value(made.text, "secret-value")
    assert secret.startswith("whsec_")
    listed = browser.get("/dashboard/webhooks").text
    assert "93.184.215.14" in listed and secret not in listed
    hook = re.search(r"/dashboard/webhooks/(\d+)/deliveries", listed)
    assert hook and browser.get(hook.group(0)).status_code == 200


def test_dashboard_pages_spend_the_accounts_request_budget(settings: Settings) -> None:
    limited = settings.model_copy(update={"rate_limit": "3/minute"})
    with TestClient(
        create_app(limited), base_url="https://testserver", follow_redirects=False
    ) as client:
        sign_up(client, "ada@example.com")
        answers = [client.get("/dashboard/numbers").status_code for _ in range(5)]
    assert answers[:3] == [200, 200, 200] and answers[-1] == 403, answers  # as the API says it


def test_refusals_outside_the_handlers_are_pages_on_the_dashboard_and_json_on_the_api(
    settings: Settings,
) -> None:
    limited = settings.model_copy(update={"rate_limit": "2/minute"})
    with TestClient(
        create_app(limited), base_url="https://testserver", follow_redirects=False
    ) as client:
        missing = client.get("/dashboard/nope")
        assert missing.status_code == 404 and missing.headers["content-type"].startswith(
            "text/html"
        )
        assert "There is no such page here." in missing.text
        wrong = client.get("/dashboard/logout")
        assert wrong.status_code == 405 and "text/html" in wrong.headers["content-type"]
        assert client.get("/api/v2/nope").json()["status"] == "failed"  # the API's envelope
        sign_up(client, "ada@example.com")
        answers = [client.get("/dashboard/numbers") for _ in range(3)]
        spent = answers[-1]
        assert spent.status_code == 403 and "text/html" in spent.headers["content-type"]
        assert "Retry-After" in spent.headers


def test_secure_cookies_can_be_forced_behind_an_unlisted_tls_proxy(settings: Settings) -> None:
    for forced in (False, True):
        chosen = settings.model_copy(update={"dashboard_secure_cookies": forced})
        with TestClient(
            create_app(chosen), base_url="http://testserver", follow_redirects=False
        ) as client:
            cookie = client.get("/dashboard/login").headers["set-cookie"]
        assert cookie.startswith("faxnum_visitor=") and ("Secure" in cookie) is forced


def test_the_inbox_shows_received_faxes_with_a_preview_and_deletes_after_confirming(
    browser: TestClient, database: Database, settings: Settings
) -> None:
    group = add_group(database, count=3)
    sign_up(browser, "ada@example.com")
    credit(database, "ada@example.com", "50.00")
    token = csrf_of(browser.get("/dashboard").text)
    browser.post(f"/dashboard/groups/{group}/provision", data={"csrf_token": token})
    with database.unit_of_work() as uow:
        _, gateway_token = create_gateway(uow, "gw", datetime.now(UTC))
    with database.reader() as uow:
        account = account_id_for(uow, "ada@example.com")
        number = uow.numbers.page_for(account, PageRequest())[0][0].did_number
    sent = browser.post(
        "/gateway/v1/faxes",
        headers={"Authorization": f"Bearer {gateway_token}"},
        data={"to": number, "from": "4930123456", "call_id": "dash-1"},
        files={"file": ("f.tif", g4_tiff(2), "image/tiff")},
    )
    assert sent.status_code == 201, sent.text
    fax_id = sent.json()["data"]["id"]
    page = browser.get("/dashboard/inbox").text
    assert number in page and "4930123456" in page
    preview = re.search(r'<img src="([^"]+)"', page)
    assert preview and preview.group(1).startswith(f"/receivefax/api/v1/inbox/{fax_id}/preview?")
    png = browser.get(preview.group(1).replace("&amp;", "&"))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert number in browser.get("/dashboard/inbox", params={"number": number}).text
    never_held = browser.get("/dashboard/inbox", params={"number": "+12045550199"})
    assert never_held.status_code == 404 and "not found" in never_held.text
    with TestClient(
        create_app(settings), base_url="https://testserver", follow_redirects=False
    ) as eve:
        sign_up(eve, "eve@example.com")
        eve_token = csrf_of(eve.get("/dashboard").text)
        path = f"/dashboard/inbox/{fax_id}/delete"
        assert eve.get(path).status_code == 404
        assert eve.post(path, data={"csrf_token": eve_token}).status_code == 404
        assert "No faxes" in eve.get("/dashboard/inbox").text
    confirm = browser.get(f"/dashboard/inbox/{fax_id}/delete")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.text
    assert browser.post(f"/dashboard/inbox/{fax_id}/delete", data={}).status_code == 403
    done = browser.post(f"/dashboard/inbox/{fax_id}/delete", data={"csrf_token": token})
    assert done.status_code == 303
    assert "No faxes" in browser.get("/dashboard/inbox").text
