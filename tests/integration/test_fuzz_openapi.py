"""Schemathesis fuzzes every operation of the served OpenAPI document: no 5xx, and
every response conforms to the schema the document declares.

FAXNUM_FUZZ_EXAMPLES sets the examples per operation (`make fuzz` runs many more)."""

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import ignored_auth

from faxnum.api.app import create_app
from faxnum.config import Settings
from faxnum.domain.errors import Invalid
from faxnum.domain.text import is_refused
from faxnum.domain.trunks import check_sip_uri
from faxnum.store.db.database import Database
from tests.factories import add_account, add_group

EXAMPLES = int(os.environ.get("FAXNUM_FUZZ_EXAMPLES", "15"))


def dialable(uri: str) -> bool:
    try:
        check_sip_uri(uri)
    except Invalid:
        return False
    return True


def test_every_operation_survives_fuzzing(sqlite_settings: Settings) -> None:
    """The document is the same on every store, so it is fuzzed once, on SQLite."""
    settings = sqlite_settings
    database = Database(settings.effective_database_url)
    add_group(database, count=200)
    key = add_account(database, "fuzz@example.com", credit="1000000.00").api_key
    app = create_app(
        settings.model_copy(
            update={
                "auth_rate_limit": "100000/second",
                "webhook_allow_private": True,
                "webhook_delivery": False,
            }
        )
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = []
    # An operation the loader could not read raises here, failing the test.
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    # Rotating the key ends every later operation at 401: fuzz it last.
    for operation in sorted(operations, key=lambda op: op.path.endswith("/keys/rotate")):

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck)
        )
        def fuzz(case: "schemathesis.Case[Any]") -> None:
            # Reusing a key with other parameters is refused (422) by design, which the
            # fuzzer's random reuse would report; test_idempotency.py covers the keys.
            headers = {
                k: v for k, v in (case.headers or {}).items() if k.lower() != "idempotency-key"
            }
            case.headers = {**headers, "X-API-Key": key}  # type: ignore[assignment]  # any mapping is sent
            if isinstance(case.body, dict):  # the same key, sent in an order's body
                case.body.pop("idempotency_key", None)
                # Whether a webhook URL is accepted depends on where its host resolves,
                # which no schema can say; test_webhook_safety.py covers the refusals.
                if isinstance(case.body.get("url"), str):
                    case.body["url"] = "http://127.0.0.1:9/hooks"
                # A multiple of 0.01 made in binary floating point is not always whole
                # cents as written (0.5700000000000001); test_webhooks.py covers refusals.
                # Whether a trunk's host may be dialled (not loopback, private, ...) is a
                # policy no pattern states; test_review_findings.py covers the refusals.
                uri = case.body.get("uri")
                if isinstance(uri, str) and not dialable(uri):
                    case.body["uri"] = "sip:fax@pbx.example.com"
                # Format characters beyond the BMP (tags) are refused in names, but an
                # ECMA pattern cannot name them; test_plain_text.py covers them.
                name = case.body.get("name")
                if isinstance(name, str):
                    case.body["name"] = "".join(
                        c for c in name if ord(c) <= 0xFFFF or not is_refused(c)
                    )
                threshold = case.body.get("low_balance_threshold")
                if isinstance(threshold, float):
                    case.body["low_balance_threshold"] = round(threshold, 2)
            # The key is forced onto every case, so "drop the auth and expect 401" cannot
            # work here; tests/integration/test_hostile_inputs.py proves 401 everywhere.
            case.call_and_validate(excluded_checks=[ignored_auth])

        try:
            fuzz()
        except BaseException as failure:  # an ExceptionGroup of failures, among others  # noqa: BLE001  # collect every failure, not just the first
            if isinstance(failure, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {failure!r}")
    database.dispose()
    assert not failures, "\n\n".join(failures)
