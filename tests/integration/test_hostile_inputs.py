"""Hostile input on every endpoint: never a 500, always the failure envelope, and the
database exactly as it was."""

from collections.abc import Callable
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import delete

from faxnum.store.db.database import Database
from faxnum.store.db.tables import api_keys
from tests.dbstate import snapshot
from tests.factories import add_account, add_group

HOSTILE_IDS = [
    "{}",
    "{1}",
    "-1",
    "0",
    "1e9",
    "abc",
    "1;DROP TABLE dids",
    "1' OR '1'='1",
    "x" * 10_000,
    "9" * 400,
    "2147483648",
    "99999999999",
    "1.0",
    "+1",
    "0x10",
    " 1",
    "1 ",
    "１２",
    "٣",
    "😀",
    "\u202e1",
    "NaN",
    "Infinity",
    "-0",
    "null",
    "[]",
    "{}",
    "true",
    "%00",
    "..",
    "../../etc/passwd",
    "{did_group_id",
    "{countryCode}",
    "<script>alert(1)</script>",
    "$(reboot)",
    "\\x00",
]
HOSTILE_COUNTRIES = [
    "US",
    "USAA",
    "123",
    "C A",
    "ÇAN",
    "can;--",
    "'",
    "x" * 10_000,
    "%",
    "{}",
    "{1}",
    "{a-b}",
    "😀😀😀",
]
HOSTILE_FILTERS = [
    {"didGroupIds": "1,,2"},
    {"didGroupIds": "-5"},
    {"didGroupIds": "1" * 50},
    {"didGroupIds": "x" * 10_000},
    {"stateId": "1e3"},
    {"stateId": "99999999999"},
    {"stateId": ""},
    {"areaCode": "' OR 1=1"},
    {"areaCode": "2" * 11},
    {"areaCode": "２０４"},
    {"cityNamePattern": "x" * 10_000},
]


def path(segment: str) -> str:
    return quote(segment, safe="")


@pytest.fixture
def world(database: Database) -> dict[str, str]:
    """One group, one funded account, and the key of an account whose key was deleted."""
    group_id = add_group(database, count=3)
    key = add_account(database, "live@example.com").api_key
    gone = add_account(database, "gone@example.com")
    with database.write_engine.begin() as connection:
        connection.execute(delete(api_keys).where(api_keys.c.account_id == gone.account_id))
    return {"group": str(group_id), "key": key, "deleted_key": gone.api_key}


def assert_refused_cleanly(
    database: Database, send: Callable[[], Response], allowed: set[int]
) -> None:
    before = snapshot(database.write_engine)
    response = send()
    assert response.status_code in allowed, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["status"] == "failed"
    assert isinstance(body["message"], str) and body["message"]
    assert snapshot(database.write_engine) == before


@pytest.mark.parametrize("raw_id", HOSTILE_IDS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_hostile_group_ids_in_the_path(
    client: TestClient, database: Database, world: dict[str, str], raw_id: str, method: str
) -> None:
    url = f"/api/v2/countries/didgroups/{path(raw_id)}/provision"
    assert_refused_cleanly(
        database,
        lambda: client.request(method, url, headers={"X-API-Key": world["key"]}),
        {404, 422},
    )


@pytest.mark.parametrize("raw_id", HOSTILE_IDS)
def test_hostile_group_ids_as_alias_parameters(
    client: TestClient, database: Database, world: dict[str, str], raw_id: str
) -> None:
    url = "/api/v2/provision-numbers"
    headers = {"X-API-Key": world["key"]}
    for send in (
        lambda: client.post(url, params={"did_group_id": raw_id}, headers=headers),
        lambda: client.post(url, data={"did_group_id": raw_id}, headers=headers),
        lambda: client.post(url, json={"did_group_id": raw_id}, headers=headers),
        lambda: client.get(
            "/api/v2/countries/didgroups/%7Bdid_group_id%7D/provision",
            params={"did_group_id": raw_id},
            headers=headers,
        ),
    ):
        assert_refused_cleanly(database, send, {404, 422})


@pytest.mark.parametrize(
    "body",
    [
        b'"hunter2-password"',
        b"[1, 2]",
        b"{",
        b'{"did_group_id": [1]}',
        b'{"did_group_id": 1.5}',
        b'{"did_group_id": true}',
        b'{"did_group_id": 1e400}',
        b'{"did_group_id": null}',
        b"\xff\xfe",
        b"null",
    ],
)
def test_hostile_json_bodies(
    client: TestClient, database: Database, world: dict[str, str], body: bytes
) -> None:
    assert_refused_cleanly(
        database,
        lambda: client.post(
            "/api/v2/provision-numbers",
            content=body,
            headers={"X-API-Key": world["key"], "content-type": "application/json"},
        ),
        {422},
    )


def test_malformed_multipart_body(
    client: TestClient, database: Database, world: dict[str, str]
) -> None:
    assert_refused_cleanly(
        database,
        lambda: client.post(
            "/api/v2/provision-numbers",
            content=b"--x\r\nnot a part",
            headers={"X-API-Key": world["key"], "content-type": "multipart/form-data; boundary=x"},
        ),
        {422},
    )


@pytest.mark.parametrize(
    "key_name",
    [
        "empty",
        "wrong_case",
        "deleted",
        "injection",
        "huge",
        "unicode",
        "prefix_only",
        "spaces",
        "uuid",
    ],
)
@pytest.mark.parametrize(
    "endpoint",
    [
        "provision",
        "alias",
        "didgroups",
        "countries",
        "states",
        "areacodes",
        "numbers",
        "balance",
        "ledger",
        "subuser",
        "rotate",
    ],
)
def test_hostile_keys_are_401_everywhere(
    client: TestClient, database: Database, world: dict[str, str], key_name: str, endpoint: str
) -> None:
    key = {
        "empty": "",
        "wrong_case": world["key"].upper(),
        "deleted": world["deleted_key"],
        "injection": "' OR '1'='1' --",
        "huge": "fxn_" + "a" * 10_000,
        "unicode": "fxn_ключ",
        "prefix_only": "fxn_",
        "spaces": f" {world['key']} ",
        "uuid": "f1a99500-7ce0-11e7-9fb1-0580e1fcb90c",
    }[key_name]
    url = {
        "provision": f"/api/v2/countries/didgroups/{world['group']}/provision",
        "alias": f"/api/v2/provision-numbers?did_group_id={world['group']}",
        "didgroups": "/api/v2/countries/CAN/didgroups",
        "countries": "/api/v2/countries",
        "states": "/api/v2/states/CAN",
        "areacodes": "/api/v2/areacodes/CAN/1",
        "numbers": "/api/v2/numbers",
        "balance": "/api/v2/balance",
        "ledger": "/api/v2/ledger",
        "subuser": "/api/v2/subuser?email=x%40example.com",
        "rotate": "/api/v2/keys/rotate",
    }[endpoint]
    assert_refused_cleanly(database, lambda: client.post(url, params={"api_key": key}), {401})


@pytest.mark.parametrize("country", HOSTILE_COUNTRIES)
def test_hostile_countries(
    client: TestClient, database: Database, world: dict[str, str], country: str
) -> None:
    assert_refused_cleanly(
        database,
        lambda: client.get(
            f"/api/v2/countries/{path(country)}/didgroups", headers={"X-API-Key": world["key"]}
        ),
        {404, 422},
    )


@pytest.mark.parametrize("params", HOSTILE_FILTERS)
def test_hostile_filters(
    client: TestClient, database: Database, world: dict[str, str], params: dict[str, str]
) -> None:
    assert_refused_cleanly(
        database,
        lambda: client.get(
            "/api/v2/countries/CAN/didgroups", params=params, headers={"X-API-Key": world["key"]}
        ),
        {422},
    )


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_wrong_methods_are_405(
    client: TestClient, database: Database, world: dict[str, str], method: str
) -> None:
    for url in (
        f"/api/v2/countries/didgroups/{world['group']}/provision",
        "/api/v2/provision-numbers",
        "/api/v2/countries/CAN/didgroups",
    ):
        assert_refused_cleanly(database, lambda: client.request(method, url), {405})  # noqa: B023


@pytest.mark.parametrize(
    "url", ["/api/v2/nope", "/api/v2/countries/didgroups/1", "/api/v3/countries", "/%2e%2e/etc"]
)
def test_unknown_paths_are_404(
    client: TestClient, database: Database, world: dict[str, str], url: str
) -> None:
    assert_refused_cleanly(
        database, lambda: client.get(url, headers={"X-API-Key": world["key"]}), {404}
    )


def test_a_rejected_key_never_comes_back_in_the_response(
    client: TestClient, database: Database, world: dict[str, str]
) -> None:
    secret_looking = "fxn_" + "b" * 32
    response = client.get("/api/v2/countries/CAN/didgroups", params={"api_key": secret_looking})
    assert secret_looking not in response.text
    assert "b" * 32 not in str(response.headers)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a' OR '1'='1@example.com", "password": "x" * 12},
        {"email": "ädä@exämple.com", "password": "x" * 12},
        {"email": "a@example.com\r\nBcc: b@example.com", "password": "x" * 12},
        {"email": "a" * 10_000, "password": "x" * 12},
        {"email": 5, "password": 5},
        {"email": None, "password": None},
        {"email": "", "password": ""},
        {"email": "list@example.com", "password": ["correct horse", "battery"]},
        {"email": {"nested": "x@example.com"}, "password": "x" * 12},
    ],
)
def test_hostile_registrations(
    client: TestClient, database: Database, world: dict[str, str], body: dict[str, object]
) -> None:
    assert_refused_cleanly(database, lambda: client.post("/api/v2/user", json=body), {422})


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "1e3"},
        {"page": "99999999999"},
        {"limit": "-5"},
        {"page": "😀"},
        {"limit": "1;DROP"},
    ],
)
@pytest.mark.parametrize("path", ["/api/v2/numbers", "/api/v2/ledger"])
def test_hostile_paging(
    client: TestClient, database: Database, world: dict[str, str], path: str, params: dict[str, str]
) -> None:
    assert_refused_cleanly(
        database,
        lambda: client.get(path, params=params, headers={"X-API-Key": world["key"]}),
        {422},
    )


DEEPLY_NESTED = b"[" * 30_000 + b"]" * 30_000  # under the body limit, deeper than the stack


@pytest.mark.parametrize(
    ("url", "with_key"),
    [
        ("/api/v2/balance", False),  # with a key in a header, /balance reads no body
        ("/api/v2/countries", False),
        ("/api/v2/user", False),
        ("/api/v2/user/login", False),
        ("/api/v2/provision-numbers", True),
    ],
)
def test_deeply_nested_json_is_refused_not_a_crash(
    client: TestClient, database: Database, world: dict[str, str], url: str, with_key: bool
) -> None:
    headers = {"content-type": "application/json"}
    if with_key:
        headers["X-API-Key"] = world["key"]
    body = b'{"api_key": "x", "nested": ' + DEEPLY_NESTED + b"}"
    assert_refused_cleanly(
        database, lambda: client.post(url, content=body, headers=headers), {401, 422}
    )


LONE_SURROGATE_PASSWORD = b'{"email": "new@example.com", "password": "correct horse \\ud800"}'


@pytest.mark.parametrize("url", ["/api/v2/user", "/api/v2/user/login", "/api/v2/subuser"])
def test_a_lone_surrogate_in_a_password_is_refused_not_a_crash(
    client: TestClient, database: Database, world: dict[str, str], url: str
) -> None:
    response_holder: list[Response] = []

    def send() -> Response:
        response: Response = client.post(
            url,
            content=LONE_SURROGATE_PASSWORD,
            headers={"content-type": "application/json", "X-API-Key": world["key"]},
        )
        response_holder.append(response)
        return response

    assert_refused_cleanly(database, send, {422})
    assert "password" in response_holder[0].json()["errors"]


@pytest.mark.parametrize(
    "send",
    [
        lambda c, key: c.get(
            "/api/v2/countries/CAN/didgroups",
            params={"cityNamePattern": "W\x00"},
            headers={"X-API-Key": key},
        ),
        lambda c, key: c.post(
            "/api/v2/user", json={"email": "a\x00@example.com", "password": "x" * 12}
        ),
        lambda c, key: c.post(
            "/api/v2/subuser", json={"email": "b@example.com\x00"}, headers={"X-API-Key": key}
        ),
        lambda c, key: c.post(
            "/api/v2/user/login", json={"email": "a\x00@b.co", "password": "x" * 12}
        ),
    ],
    ids=["cityNamePattern", "register", "subuser", "login"],
)
def test_nul_characters_are_refused_on_every_store(
    client: TestClient,
    database: Database,
    world: dict[str, str],
    send: Callable[[TestClient, str], Response],
) -> None:
    # Login answers an unusable email as it answers a wrong one: 401.
    assert_refused_cleanly(database, lambda: send(client, world["key"]), {401, 422})
