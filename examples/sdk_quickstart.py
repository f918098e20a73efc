"""Find a DID group, provision a number from it, list every number, check the balance.

    FAXNUM_URL=http://127.0.0.1:8000 FAXNUM_API_KEY=fxn_... python examples/sdk_quickstart.py

Type-checked with `mypy --strict` by the test suite: the SDK's types are real.
"""

import asyncio
from decimal import Decimal

from faxnum.client import AsyncClient, Client, ExhaustedError, InsufficientBalanceError
from faxnum.client.models import DidGroup, ProvisionedNumber


def cheapest(groups: list[DidGroup]) -> DidGroup:
    return min(groups, key=lambda group: group.setup_price + group.monthly_price)


def provision_cheapest(client: Client, country: str, area_code: str) -> ProvisionedNumber | None:
    groups = [g for g in client.did_groups(country, area_code=area_code) if g.stock > 0]
    if not groups:
        return None
    try:
        return client.provision(cheapest(groups).did_group_id)
    except (ExhaustedError, InsufficientBalanceError) as refused:
        print(f"not provisioned: {refused.message}")
        return None


async def count_numbers() -> int:
    async with AsyncClient() as client:
        return len([number async for number in client.iter_numbers()])


def main() -> None:
    with Client() as client:
        number = provision_cheapest(client, "CAN", "204")
        if number is not None:
            print(f"provisioned {number.number} (id {number.id})")
        balance: Decimal = client.balance()
        print(f"balance {balance:.2f}")
    print(f"numbers held: {asyncio.run(count_numbers())}")


if __name__ == "__main__":
    main()
