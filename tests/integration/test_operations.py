"""OpenAPI, docs, liveness and the schema the migrations build."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient

from faxnum.store.database import Database
from faxnum.store.tables import metadata


def test_healthz_needs_no_key(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_describes_the_real_shapes_and_key_locations(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    provision = spec["paths"]["/api/v2/countries/didgroups/{did_group_id}/provision"]
    assert set(provision) == {"get", "post"}
    responses = provision["post"]["responses"]
    assert set(responses) >= {"200", "401", "402", "403", "404", "409", "422"}
    ok_schema = responses["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    data_ref = spec["components"]["schemas"][ok_schema]["properties"]["data"]["$ref"].rsplit(
        "/", 1
    )[1]
    data = spec["components"]["schemas"][data_ref]
    assert set(data["required"]) == {
        "id",
        "didid",
        "did_id",
        "did_group_id",
        "country_code",
        "city_name",
        "area_code",
        "number",
        "type",
        "trunk_id",
    }
    assert data["properties"]["id"]["type"] == "integer"
    assert data["properties"]["area_code"]["type"] == "string"
    failure = responses["404"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert spec["components"]["schemas"][failure]["properties"]["status"]["const"] == "failed"
    schemes = spec["components"]["securitySchemes"]
    assert {(s.get("in"), s.get("name")) for s in schemes.values()} >= {
        ("query", "api_key"),
        ("header", "X-API-Key"),
        ("header", "api_key"),
    }
    assert len(provision["get"]["security"]) == len(schemes)
    assert "/api/v2/countries/{country_code}/didgroups" in spec["paths"]
    assert "/api/v2/provision-numbers" in spec["paths"]


def test_docs_page_is_served(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


def test_migrations_build_exactly_the_declared_schema(database: Database) -> None:
    with database.write_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
