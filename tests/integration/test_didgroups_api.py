"""Listing DID groups: the documented shape, every filter, and the SDK placeholder."""

import pytest
from fastapi.testclient import TestClient

from faxnum.store.db.database import Database
from tests.conftest import FAST_PATH_IDS, settings_on_both_paths
from tests.factories import add_account, add_group

# Every test here holds with the fast path on and off (FAXNUM_FAST_PATH).
settings = pytest.fixture(params=[True, False], ids=FAST_PATH_IDS)(settings_on_both_paths)

GROUP_TYPES = {
    "did_group_id": int,
    "area_code": str,
    "city_name": str,
    "country_code": str,
    "state_id": int,
    "type": str,
    "stock": int,
    "setup_price": float,
    "monthly_price": float,
    "features": list,
}


@pytest.fixture
def catalogue(database: Database) -> dict[str, int]:
    return {
        "winnipeg": add_group(database, region="CA", description="Winnipeg, MB", count=3),
        "brandon": add_group(database, region="CA", description="Brandon, MB", count=2),
        "toronto": add_group(database, region="CA", description="Toronto, ON", count=2),
        "new_york": add_group(database, region="US", description="New York, NY", count=2),
    }


@pytest.fixture
def key(database: Database) -> str:
    return add_account(database).api_key


def listed(
    client: TestClient, key: str, country: str = "CAN", **params: str
) -> list[dict[str, object]]:
    response = client.get(
        f"/api/v2/countries/{country}/didgroups", params={"api_key": key, **params}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "success"
    return body["data"]  # type: ignore[no-any-return]


def test_groups_of_a_country_have_the_documented_fields_and_types(
    client: TestClient, catalogue: dict[str, int], key: str
) -> None:
    groups = listed(client, key)
    assert {g["did_group_id"] for g in groups} == {
        catalogue["winnipeg"],
        catalogue["brandon"],
        catalogue["toronto"],
    }
    for group in groups:
        assert set(group) == set(GROUP_TYPES)
        for field, kind in GROUP_TYPES.items():
            assert type(group[field]) is kind, field
        assert group["country_code"] == "CAN"
        assert str(group["city_name"]).isupper()
    winnipeg = next(g for g in groups if g["did_group_id"] == catalogue["winnipeg"])
    assert winnipeg["stock"] == 3
    assert winnipeg["setup_price"] == 1.0 and winnipeg["monthly_price"] == 2.0


def test_country_code_is_case_insensitive(
    client: TestClient, catalogue: dict[str, int], key: str
) -> None:
    assert listed(client, key, "can") == listed(client, key, "CAN")


def test_stock_drops_when_a_number_is_provisioned(
    client: TestClient, catalogue: dict[str, int], key: str
) -> None:
    group_id = catalogue["brandon"]
    client.post(f"/api/v2/countries/didgroups/{group_id}/provision", params={"api_key": key})
    [group] = listed(client, key, didGroupIds=str(group_id))
    assert group["stock"] == 1


def test_city_name_pattern_is_an_anchored_prefix(
    client: TestClient, catalogue: dict[str, int], key: str
) -> None:
    assert [g["did_group_id"] for g in listed(client, key, cityNamePattern="Winn%")] == [
        catalogue["winnipeg"]
    ]
    assert [g["did_group_id"] for g in listed(client, key, cityNamePattern="winnipeg")] == [
        catalogue["winnipeg"]
    ]
    assert listed(client, key, cityNamePattern="nnipeg%") == []
    assert listed(client, key, cityNamePattern="Winn") == []


@pytest.mark.parametrize("pattern", ["W_NNIPEG", "W_nnipeg%", "%\\%", "_%", "\\", "W[I]%"])
def test_like_metacharacters_other_than_percent_match_literally(
    client: TestClient, catalogue: dict[str, int], key: str, pattern: str
) -> None:
    assert listed(client, key, cityNamePattern=pattern) == []


def test_filters_combine(client: TestClient, catalogue: dict[str, int], key: str) -> None:
    [winnipeg] = listed(client, key, didGroupIds=str(catalogue["winnipeg"]))
    state_id = str(winnipeg["state_id"])
    manitoba = listed(client, key, stateId=state_id)
    assert {g["did_group_id"] for g in manitoba} == {catalogue["winnipeg"], catalogue["brandon"]}
    assert [
        g["did_group_id"] for g in listed(client, key, stateId=state_id, cityNamePattern="B%")
    ] == [catalogue["brandon"]]
    narrowest = listed(
        client, key, stateId=state_id, areaCode=str(winnipeg["area_code"]), cityNamePattern="W%"
    )
    assert [g["did_group_id"] for g in narrowest] == [catalogue["winnipeg"]]
    ids = f"{catalogue['winnipeg']},{catalogue['toronto']},{catalogue['new_york']}"
    assert {g["did_group_id"] for g in listed(client, key, didGroupIds=ids)} == {
        catalogue["winnipeg"],
        catalogue["toronto"],
    }


def test_unfilled_country_placeholder_searches_all_countries(
    client: TestClient, catalogue: dict[str, int], key: str
) -> None:
    # The published SDKs send the placeholder URL-encoded when the country is unset.
    [new_york] = listed(client, key, "USA")
    response = client.get(
        "/api/v2/countries/%7BcountryCode%7D/didgroups",
        params={"areaCode": str(new_york["area_code"])},
        headers={"api_key": key},
    )
    assert response.status_code == 200
    assert [g["did_group_id"] for g in response.json()["data"]] == [catalogue["new_york"]]
    everything = client.get(
        "/api/v2/countries/%7BcountryCode%7D/didgroups", headers={"api_key": key}
    )
    assert {g["did_group_id"] for g in everything.json()["data"]} == set(catalogue.values())


def test_known_country_without_inventory_is_an_empty_list(
    client: TestClient, catalogue: dict[str, int], key: str
) -> None:
    assert listed(client, key, "FRA") == []


@pytest.mark.parametrize("country", ["XYZ", "ZZZ"])
def test_unknown_country_is_404(client: TestClient, key: str, country: str) -> None:
    response = client.get(f"/api/v2/countries/{country}/didgroups", params={"api_key": key})
    assert response.status_code == 404
    assert response.json() == {"status": "failed", "message": f"Country {country} not found."}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"stateId": "abc"}, "stateId"),
        ({"stateId": "-1"}, "stateId"),
        ({"areaCode": "20a"}, "areaCode"),
        ({"didGroupIds": "1,x"}, "didGroupIds"),
        ({"didGroupIds": ",".join(["1"] * 501)}, "didGroupIds"),
        ({"cityNamePattern": "W" * 101}, "cityNamePattern"),
    ],
)
def test_malformed_filters_are_422_naming_the_parameter(
    client: TestClient, key: str, params: dict[str, str], field: str
) -> None:
    response = client.get("/api/v2/countries/CAN/didgroups", params={"api_key": key, **params})
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_every_malformed_filter_is_named_in_one_refusal(client: TestClient, key: str) -> None:
    response = client.get(
        "/api/v2/countries/CAN/didgroups",
        params={"api_key": key, "stateId": "0", "areaCode": "", "cityNamePattern": "W\x01"},
    )
    assert response.status_code == 422
    assert response.json()["message"] == "Invalid parameters: areaCode, cityNamePattern, stateId."
    assert sorted(response.json()["errors"]) == ["areaCode", "cityNamePattern", "stateId"]


def test_listing_needs_a_key(client: TestClient) -> None:
    response = client.get("/api/v2/countries/CAN/didgroups")
    assert response.status_code == 401
    assert response.json() == {"status": "failed", "message": "Missing API key."}


@pytest.mark.parametrize("as_json", [False, True])
def test_filters_sent_only_in_a_post_body_are_refused_not_ignored(
    client: TestClient, key: str, as_json: bool
) -> None:
    body = {"cityNamePattern": "W%"}
    response = client.post(
        "/api/v2/countries/CAN/didgroups",
        headers={"X-API-Key": key},
        **({"json": body} if as_json else {"data": body}),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "cityNamePattern": ["is read from the query string; send it there"]
    }
    numbers = client.post("/api/v2/numbers", data={"limit": "2"}, headers={"X-API-Key": key})
    assert numbers.status_code == 422 and "limit" in numbers.json()["errors"]
