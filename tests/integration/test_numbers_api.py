"""The caller's numbers: documented fields, newest first, and pagination edges."""

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.store.db.database import Database
from tests.factories import add_account, add_group

NUMBER_TYPES = {
    "id": int,
    "order_reference": type(None),
    "country_code": str,
    "country": str,
    "city_name": str,
    "area_code": str,
    "did_group_id": int,
    "did_number": str,
    "expiration_date": str,
    "status": str,
}


@pytest.fixture
def owned(client: TestClient, database: Database) -> tuple[str, list[int]]:
    """An account holding five numbers, provisioned in order."""
    group_id = add_group(database, count=6)
    key = add_account(database).api_key
    ids = [
        client.post(
            f"/api/v2/countries/didgroups/{group_id}/provision", headers={"X-API-Key": key}
        ).json()["data"]["id"]
        for _ in range(5)
    ]
    return key, ids


def numbers(client: TestClient, key: str, **params: object) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/v2/numbers", params={"api_key": key, **params})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_numbers_have_the_documented_fields_newest_first(
    client: TestClient, owned: tuple[str, list[int]]
) -> None:
    key, ids = owned
    body = numbers(client, key)
    assert list(body) == ["status", "numbers", "meta"]
    assert [n["id"] for n in body["numbers"]] == ids[::-1]
    for number in body["numbers"]:
        assert set(number) == set(NUMBER_TYPES)
        for field, kind in NUMBER_TYPES.items():
            assert type(number[field]) is kind, field
        assert number["status"] == "Active" and number["country"] == "CANADA"
        assert len(number["expiration_date"]) == 10 and number["expiration_date"][4] == "-"
    assert body["meta"]["pagination"] == {
        "total": 5,
        "count": 5,
        "per_page": 25,
        "current_page": 1,
        "total_pages": 1,
        "links": {},
    }


def test_limit_one_walks_page_by_page_with_links(
    client: TestClient, owned: tuple[str, list[int]]
) -> None:
    key, ids = owned
    first = numbers(client, key, limit=1)
    assert [n["id"] for n in first["numbers"]] == [ids[-1]]
    pagination = first["meta"]["pagination"]
    assert (pagination["total"], pagination["count"], pagination["total_pages"]) == (5, 1, 5)
    assert set(pagination["links"]) == {"next"}
    middle = numbers(client, key, limit=1, page=3)["meta"]["pagination"]["links"]
    assert set(middle) == {"previous", "next"}
    assert parse_qs(urlsplit(middle["next"]).query) == {"limit": ["1"], "page": ["4"]}
    assert parse_qs(urlsplit(middle["previous"]).query) == {"limit": ["1"], "page": ["2"]}


def test_last_page_has_no_next(client: TestClient, owned: tuple[str, list[int]]) -> None:
    key, ids = owned
    last = numbers(client, key, limit=2, page=3)
    assert [n["id"] for n in last["numbers"]] == [ids[0]]
    assert last["meta"]["pagination"]["count"] == 1
    assert set(last["meta"]["pagination"]["links"]) == {"previous"}


def test_page_beyond_the_end_is_empty_with_correct_totals(
    client: TestClient, owned: tuple[str, list[int]]
) -> None:
    key, _ = owned
    beyond = numbers(client, key, limit=2, page=9)
    assert beyond["numbers"] == []
    pagination = beyond["meta"]["pagination"]
    assert (
        pagination["total"],
        pagination["count"],
        pagination["total_pages"],
        pagination["current_page"],
    ) == (5, 0, 3, 9)
    assert "next" not in pagination["links"]
    previous = parse_qs(urlsplit(pagination["links"]["previous"]).query)
    assert previous["page"] == ["3"]  # the last page, not page 8


def test_links_never_carry_the_key(client: TestClient, owned: tuple[str, list[int]]) -> None:
    key, _ = owned
    links = numbers(client, key, limit=1, page=2)["meta"]["pagination"]["links"]
    assert links and all(key not in url and "api_key" not in url for url in links.values())


@pytest.mark.parametrize(
    "params",
    [
        {"page": 0},
        {"page": -1},
        {"limit": 0},
        {"limit": 501},
        {"limit": "abc"},
        {"page": "1.5"},
        {"limit": ""},
    ],
)
def test_bad_paging_values_are_422(
    client: TestClient, owned: tuple[str, list[int]], params: dict[str, object]
) -> None:
    key, _ = owned
    response = client.get("/api/v2/numbers", params={"api_key": key, **params})
    assert response.status_code == 422
    assert set(response.json()["errors"]) <= {"page", "limit"}


def test_an_account_sees_only_its_own_numbers(
    client: TestClient, database: Database, owned: tuple[str, list[int]]
) -> None:
    stranger = add_account(database, "stranger@example.com").api_key
    assert numbers(client, stranger)["numbers"] == []
    assert numbers(client, stranger)["meta"]["pagination"]["total"] == 0


def test_links_are_relative_whatever_host_the_client_names(
    client: TestClient, owned: tuple[str, list[int]]
) -> None:
    key, _ = owned
    response = client.get(
        "/api/v2/numbers",
        params={"api_key": key, "limit": 1, "page": 2},
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )
    links = response.json()["meta"]["pagination"]["links"]
    assert links == {
        "previous": "/api/v2/numbers?limit=1&page=1",
        "next": "/api/v2/numbers?limit=1&page=3",
    }


def test_links_are_absolute_on_the_configured_public_url(
    settings: Settings, owned: tuple[str, list[int]]
) -> None:
    key, _ = owned
    public = settings.model_copy(update={"public_url": "https://numbers.example.com/"})
    with TestClient(create_app(public)) as other:
        links = numbers(other, key, limit=1, page=1)["meta"]["pagination"]["links"]
    assert links == {"next": "https://numbers.example.com/api/v2/numbers?limit=1&page=2"}
