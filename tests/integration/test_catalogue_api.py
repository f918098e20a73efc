"""Countries, states and area codes from real numbering data."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from faxnum.store.db.database import Database
from tests.factories import add_account, add_group


@pytest.fixture
def key(database: Database) -> str:
    add_group(database, region="CA", description="Winnipeg, MB", count=2)
    add_group(database, region="GB", description="Sheffield", count=2)
    return add_account(database).api_key


def get(client: TestClient, key: str, path: str) -> dict[str, Any]:
    response = client.get(path, headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "success"
    return body


def test_countries_lists_those_with_groups_in_the_documented_shape(
    client: TestClient, key: str
) -> None:
    data = get(client, key, "/api/v2/countries")["data"]
    assert data == [
        {"country": "CANADA", "slug": "canada", "a2_code": "CAN", "dial_code": 1},
        {"country": "UNITED KINGDOM", "slug": "united-kingdom", "a2_code": "GBR", "dial_code": 44},
    ]


def test_states_come_from_iso_subdivisions_with_digit_string_ids(
    client: TestClient, key: str
) -> None:
    states = get(client, key, "/api/v2/states/can")["states"]
    assert isinstance(states, list)
    assert {s["code"] for s in states} == {
        "AB",
        "BC",
        "MB",
        "NB",
        "NL",
        "NS",
        "NT",
        "NU",
        "ON",
        "PE",
        "QC",
        "SK",
        "YT",
    }
    for state in states:
        assert set(state) == {"id", "name", "code"}
        assert isinstance(state["id"], str) and state["id"].isdigit()
    assert next(s for s in states if s["code"] == "MB")["name"] == "Manitoba"


def test_area_codes_of_manitoba_come_from_the_numbering_data(client: TestClient, key: str) -> None:
    states = get(client, key, "/api/v2/states/CAN")["states"]
    manitoba = next(s for s in states if s["code"] == "MB")
    areacodes = get(client, key, f"/api/v2/areacodes/CAN/{manitoba['id']}")["areacodes"]
    assert {"country_code": "CAN", "state_id": int(manitoba["id"]), "area_code": "204"} in areacodes
    assert all(a["state_id"] == int(manitoba["id"]) and a["area_code"].isdigit() for a in areacodes)
    ontario = next(s for s in states if s["code"] == "ON")
    assert "416" in {
        a["area_code"]
        for a in get(client, key, f"/api/v2/areacodes/CAN/{ontario['id']}")["areacodes"]
    }


def test_a_state_of_another_country_is_404(client: TestClient, key: str) -> None:
    states = get(client, key, "/api/v2/states/CAN")["states"]
    response = client.get(f"/api/v2/areacodes/GBR/{states[0]['id']}", headers={"X-API-Key": key})
    assert response.status_code == 404
    assert response.json() == {
        "status": "failed",
        "message": f"State {states[0]['id']} not found in GBR.",
    }


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v2/states/XYZ", 404),
        ("/api/v2/states/CA", 422),
        ("/api/v2/areacodes/CAN/999999", 404),
        ("/api/v2/areacodes/CAN/abc", 422),
        ("/api/v2/areacodes/CAN/-3", 422),
        ("/api/v2/areacodes/XYZ/1", 404),
    ],
)
def test_bad_countries_and_states(client: TestClient, key: str, path: str, status: int) -> None:
    response = client.get(path, headers={"X-API-Key": key})
    assert response.status_code == status
    assert response.json()["status"] == "failed"


def test_sdk_placeholders_mean_every_country_or_state(client: TestClient, key: str) -> None:
    every_state = get(client, key, "/api/v2/states/%7BcountryCode%7D")["states"]
    assert len(every_state) > 13
    canadian = get(client, key, "/api/v2/areacodes/CAN/%7BstateId%7D")["areacodes"]
    assert {a["country_code"] for a in canadian} == {"CAN"}


def test_catalogue_needs_a_key(client: TestClient) -> None:
    for path in ("/api/v2/countries", "/api/v2/states/CAN", "/api/v2/areacodes/CAN/1"):
        assert client.get(path).status_code == 401
