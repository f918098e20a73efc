"""What an outside review found, each reproduced through the HTTP app on both stores."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.security.key_cipher import KeyCipher
from faxnum.services.accounts import create_account, set_disabled
from faxnum.store.db.database import Database
from tests.conftest import make_settings
from tests.factories import TEST_SECRET, add_account, add_group
from tests.integration.test_dashboard import csrf_of, sign_up

API = "/api/v2"


@dataclass
class Family:
    client: TestClient
    parent: str
    parent_id: int
    sub: str
    sub_id: int
    group: int

    def h(self, key: str) -> dict[str, str]:
        return {"X-API-Key": key}


def _app(tmp_path: Path, database_url: str, **changes: object) -> TestClient:
    settings: Settings = make_settings(tmp_path, database_url).model_copy(update=changes)
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture
def family(tmp_path: Path, database_url: str, database: Database) -> Iterator[Family]:
    group = add_group(database, count=4)
    parent = add_account(database, "parent@example.com")
    with database.unit_of_work() as uow:
        sub = create_account(
            uow, KeyCipher(TEST_SECRET), "sub@example.com", datetime.now(UTC),
            parent_id=parent.account_id,
        )  # fmt: skip
    with _app(tmp_path, database_url) as client:
        yield Family(client, parent.api_key, parent.account_id, sub.api_key, sub.account_id, group)


@pytest.mark.parametrize(
    "uri",
    [
        "sip:fax@169.254.169.254",
        "sips:a@[::1]:5061",
        "sip:a@b.com;maddr=10.0.0.1",
        "sip:a@x.internal",
    ],
)
def test_a_trunk_aimed_at_the_operators_network_is_refused_unless_allowed(
    tmp_path: Path, database_url: str, database: Database, uri: str
) -> None:
    key = add_account(database).api_key
    with _app(tmp_path, database_url) as client:
        refused = client.post(
            f"{API}/trunks", json={"name": "lab", "uri": uri}, headers={"X-API-Key": key}
        )
        assert refused.status_code == 422 and "uri" in refused.json()["errors"], refused.text
        made = client.post(
            f"{API}/trunks",
            json={"name": "ok", "uri": "sip:fax@pbx.example.com"},
            headers={"X-API-Key": key},
        ).json()["data"]
        patched = client.patch(
            f"{API}/trunks/{made['id']}", json={"uri": uri}, headers={"X-API-Key": key}
        )
        assert patched.status_code == 422
        listed = client.get(f"{API}/trunks", headers={"X-API-Key": key}).json()["data"]
        assert uri not in [t["uri"] for t in listed]
    with _app(tmp_path, database_url, trunk_allow_private=True) as lab:
        allowed = lab.post(
            f"{API}/trunks", json={"name": "lab", "uri": uri}, headers={"X-API-Key": key}
        )
        assert allowed.status_code == 200, allowed.text


@pytest.mark.parametrize("name", ["evil\u202etxt.exe", "zero\u200bwidth", "line\u2028break"])
def test_a_trunk_name_with_format_characters_is_refused(family: Family, name: str) -> None:
    body = {"name": name, "uri": "sip:fax@pbx.example.com"}
    refused = family.client.post(f"{API}/trunks", json=body, headers=family.h(family.parent))
    assert refused.status_code == 422 and "name" in refused.json()["errors"]
    own = family.client.get(f"{API}/trunks", headers=family.h(family.parent)).json()["data"][0]
    renamed = family.client.patch(
        f"{API}/trunks/{own['id']}", json={"name": name}, headers=family.h(family.parent)
    )
    assert renamed.status_code == 422


def test_a_parent_reads_and_routes_to_its_subaccounts_trunks_but_does_not_change_them(
    family: Family,
) -> None:
    subs_trunk = family.client.post(
        f"{API}/trunks",
        json={"name": "clerk", "uri": "sip:fax@clerk.example.com"},
        headers=family.h(family.sub),
    ).json()["data"]
    number = family.client.post(
        f"{API}/countries/didgroups/{family.group}/provision", headers=family.h(family.sub)
    ).json()["data"]
    seen = family.client.get(f"{API}/trunks/{subs_trunk['id']}", headers=family.h(family.parent))
    assert seen.status_code == 200 and seen.json()["data"]["account_id"] == family.sub_id
    listed = family.client.get(f"{API}/trunks", headers=family.h(family.parent)).json()["data"]
    assert subs_trunk["id"] in [t["id"] for t in listed]
    routed = family.client.patch(
        f"{API}/numbers/{number['id']}",
        json={"trunk_id": subs_trunk["id"]},
        headers=family.h(family.parent),
    )
    assert routed.status_code == 200 and routed.json()["data"]["trunk_id"] == subs_trunk["id"]
    changed = family.client.patch(
        f"{API}/trunks/{subs_trunk['id']}", json={"name": "mine"}, headers=family.h(family.parent)
    )
    assert changed.status_code == 404
    parents = family.client.get(f"{API}/trunks", headers=family.h(family.parent)).json()["data"][0]
    hidden = family.client.get(f"{API}/trunks/{parents['id']}", headers=family.h(family.sub))
    assert hidden.status_code == 404


def test_numbers_name_their_trunk_when_asked_and_stay_exactly_v2_otherwise(family: Family) -> None:
    family.client.post(
        f"{API}/countries/didgroups/{family.group}/provision", headers=family.h(family.parent)
    )
    plain = family.client.get(f"{API}/numbers", headers=family.h(family.parent)).json()
    assert "trunk_id" not in plain["numbers"][0]
    named = family.client.get(
        f"{API}/numbers?include=trunk_id", headers=family.h(family.parent)
    ).json()
    assert isinstance(named["numbers"][0]["trunk_id"], int)
    wrong = family.client.get(f"{API}/numbers?include=everything", headers=family.h(family.parent))
    assert wrong.status_code == 422 and "include" in wrong.json()["errors"]


def test_a_disabled_account_s_dashboard_session_stays_ended_when_it_is_enabled_again(
    tmp_path: Path, database_url: str, database: Database
) -> None:
    settings = make_settings(tmp_path, database_url)
    with TestClient(
        create_app(settings), base_url="https://testserver", follow_redirects=False
    ) as browser:
        sign_up(browser, "ada@example.com")
        assert browser.get("/dashboard").status_code == 200
        for disabled in (True, False):
            with database.unit_of_work() as uow:
                set_disabled(uow, "ada@example.com", disabled)
        page = browser.get("/dashboard")
        assert page.status_code == 303 and "/dashboard/login" in page.headers["location"]
        assert csrf_of(browser.get("/dashboard/login").text)


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", ""])
@pytest.mark.parametrize("path", ["/user", "/user/login"])
def test_a_json_object_sent_as_a_form_is_read_as_json(
    tmp_path: Path, database_url: str, path: str, content_type: str
) -> None:
    account = {"email": "curl@example.com", "password": "long enough password"}
    with _app(tmp_path, database_url) as client:
        if path == "/user/login":
            client.post(f"{API}/user", json=account)
        sent = client.post(  # what `curl -d '{...}'` sends
            f"{API}{path}",
            content=json.dumps(account),
            headers={"content-type": content_type},
        )
        assert sent.status_code == 200, sent.text
        assert sent.json()["api_key"].startswith("fxn_")


def test_account_fields_sent_in_the_query_are_told_to_go_in_the_body(family: Family) -> None:
    for path, headers in [
        ("/user", {}),
        ("/user/login", {}),
        ("/subuser", family.h(family.parent)),
    ]:
        sent = family.client.post(
            f"{API}{path}",
            params={"email": "q@example.com", "password": "long enough password"},
            headers=headers,
        )
        assert sent.status_code == 422, sent.text
        errors = sent.json()["errors"]
        assert "send it there" in errors["email"][0], errors


def test_every_time_is_written_in_one_format(family: Family) -> None:
    family.client.post(
        f"{API}/countries/didgroups/{family.group}/provision", headers=family.h(family.parent)
    )
    times = [
        family.client.get(f"{API}/subusers", headers=family.h(family.parent)).json()["data"][0][
            "created_at"
        ],
        family.client.get(f"{API}/ledger", headers=family.h(family.parent)).json()["entries"][0][
            "created_at"
        ],
    ]
    numbers = family.client.get(
        f"{API}/available-numbers?country=CAN", headers=family.h(family.parent)
    )
    held = family.client.post(
        f"{API}/reservations",
        json={"numbers": [numbers.json()["data"][0]["number"]]},
        headers=family.h(family.parent),
    ).json()["data"]
    times += [held["created_at"], held["expires_at"]]
    assert all(t.endswith("Z") and "+00:00" not in t for t in times), times


def test_a_parent_sees_and_cancels_its_subaccounts_holds(family: Family) -> None:
    held = family.client.post(
        f"{API}/reservations",
        json={"did_group_id": family.group, "quantity": 2},
        headers=family.h(family.sub),
    ).json()["data"]
    listed = family.client.get(f"{API}/reservations", headers=family.h(family.parent)).json()
    assert [r["id"] for r in listed["data"]] == [held["id"]]
    seen = family.client.get(f"{API}/reservations/{held['id']}", headers=family.h(family.parent))
    assert seen.status_code == 200
    ordered = family.client.post(
        f"{API}/orders", json={"reservation_id": held["id"]}, headers=family.h(family.parent)
    )
    assert ordered.status_code == 404  # only its holder orders it
    cancelled = family.client.delete(
        f"{API}/reservations/{held['id']}", headers=family.h(family.parent)
    )
    assert cancelled.status_code == 200 and cancelled.json()["data"]["status"] == "cancelled"
    again = family.client.post(  # the numbers, the count and the money are free again
        f"{API}/reservations",
        json={"did_group_id": family.group, "quantity": 4},
        headers=family.h(family.parent),
    )
    assert again.status_code == 200, again.text


def test_account_fields_in_the_url_are_refused_even_beside_the_body(family: Family) -> None:
    account = {"email": "both@example.com", "password": "long enough password"}
    family.client.post(f"{API}/user", json=account)
    sent = family.client.post(
        f"{API}/user/login", params={"password": "wrong-password-xx"}, json=account
    )
    assert sent.status_code == 422 and "password" in sent.json()["errors"]


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/ledger?page=\u00b2",
        "/dashboard/numbers?page=\u00b2",
        "/dashboard/numbers/\u00b2/release",
        "/dashboard/find?country=USA&state=\u00b2&area=\u00b2",
        "/dashboard/webhooks/\u0663/deliveries",
    ],
)
def test_dashboard_numbers_in_other_scripts_are_refused_not_a_500(
    tmp_path: Path, database_url: str, path: str
) -> None:
    settings = make_settings(tmp_path, database_url)
    with TestClient(
        create_app(settings),
        base_url="https://testserver",
        follow_redirects=False,
        raise_server_exceptions=False,
    ) as browser:
        sign_up(browser, "ada@example.com")
        page = browser.get(path)
        assert page.status_code in (200, 404, 422), (path, page.status_code)
        token = csrf_of(browser.get("/dashboard").text)
        for form_path in (
            "/dashboard/groups/\u00b2/provision",
            "/dashboard/reservations/\u00b2/cancel",
            "/dashboard/subaccounts/\u00b2/rotate",
        ):
            posted = browser.post(form_path, data={"csrf_token": token})
            assert posted.status_code < 500, (form_path, posted.status_code)
