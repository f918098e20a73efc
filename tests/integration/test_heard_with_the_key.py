"""Whether anyone hears an account's events is read with its key, in the statement that
authenticates it: a use case that then asks who hears an event about it (every
provisioning does) sends no statement of its own when nobody does. An endpoint added or
enabled later in the same transaction hears what follows."""

from datetime import UTC, datetime

import pytest

from faxnum.domain.webhooks import EventType, WebhookChanges
from faxnum.services.accounts import authenticate
from faxnum.services.events import listening
from faxnum.store.db.database import Database
from tests.factories import add_account

NOW = datetime(2026, 12, 7, tzinfo=UTC)
EVENT = EventType.NUMBER_PROVISIONED


def _add_endpoint(database: Database, account_id: int) -> int:
    with database.unit_of_work() as uow:
        webhook_id = uow.webhooks.add_webhook(
            account_id, "http://127.0.0.1:9/hook", None, b"sealed", NOW
        )
        uow.commit()
    return webhook_id


@pytest.mark.parametrize("backend", ["postgresql"])
def test_who_hears_an_account_is_read_with_its_key_and_not_again(database: Database) -> None:
    owner = add_account(database)
    with database.unit_of_work() as uow:
        caller = authenticate(uow, owner.api_key)
        # Committed meanwhile: a statement of its own would see it (read committed).
        _add_endpoint(database, owner.account_id)

        assert listening(uow, caller.account_id, EVENT) == []


def test_an_account_with_an_endpoint_is_heard(database: Database) -> None:
    owner = add_account(database)
    webhook_id = _add_endpoint(database, owner.account_id)
    with database.unit_of_work() as uow:
        caller = authenticate(uow, owner.api_key)

        assert listening(uow, caller.account_id, EVENT) == [webhook_id]


def test_an_endpoint_added_after_the_key_was_read_hears_what_follows(
    database: Database,
) -> None:
    owner = add_account(database)
    with database.unit_of_work() as uow:
        caller = authenticate(uow, owner.api_key)
        webhook_id = uow.webhooks.add_webhook(
            caller.account_id, "http://127.0.0.1:9/hook", None, b"sealed", NOW
        )

        assert listening(uow, caller.account_id, EVENT) == [webhook_id]


def test_an_endpoint_enabled_after_the_key_was_read_hears_what_follows(
    database: Database,
) -> None:
    owner = add_account(database)
    webhook_id = _add_endpoint(database, owner.account_id)
    with database.unit_of_work() as uow:
        uow.webhooks.disable(webhook_id, "test")
        uow.commit()
    with database.unit_of_work() as uow:
        caller = authenticate(uow, owner.api_key)
        uow.webhooks.change(webhook_id, WebhookChanges(enabled=True))

        assert listening(uow, caller.account_id, EVENT) == [webhook_id]
