"""Wire shapes of the v2 API, kept apart from tables and domain entities."""

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from faxnum.api.money_json import Money
from faxnum.domain.accounts import AccountSummary
from faxnum.domain.catalogue import AreaCode, Country, State
from faxnum.domain.dates import rfc3339
from faxnum.domain.ledger import LedgerEntry
from faxnum.domain.numbers import DidGroup, NumberListing, NumberType, ProvisionedNumber
from faxnum.domain.pagination import Page


class Failure(BaseModel):
    status: Literal["failed"] = "failed"
    message: str
    errors: dict[str, list[str]] | None = Field(
        default=None, description="Present for invalid parameters: reasons by parameter name."
    )


class ProvisionedNumberData(BaseModel):
    id: int = Field(description="The account's number record.")
    didid: int = Field(description="The inventory DID id.")
    did_id: int = Field(description="Same as didid; the published SDKs read this name.")
    did_group_id: int
    country_code: str = Field(description="ISO 3166-1 alpha-3, upper case.", examples=["CAN"])
    city_name: str | None = Field(examples=["WINNIPEG"])
    area_code: str = Field(examples=["204"])
    number: str = Field(description="E.164.", examples=["+12048134698"])
    type: NumberType
    trunk_id: int = Field(description="The inbound trunk the number is routed to.")

    @classmethod
    def of(cls, provisioned: ProvisionedNumber) -> "ProvisionedNumberData":
        group = provisioned.group
        return cls(
            id=provisioned.id,
            didid=provisioned.did.id,
            did_id=provisioned.did.id,
            did_group_id=group.id,
            country_code=group.country_code,
            city_name=group.city_name,
            area_code=group.area_code,
            number=provisioned.did.number,
            type=group.type,
            trunk_id=provisioned.trunk_id,
        )


class ProvisionResponse(BaseModel):
    status: Literal["success"] = "success"
    message: str = "Number has been provisioned."
    data: ProvisionedNumberData


class DidGroupData(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read straight from a DidGroup

    did_group_id: int = Field(validation_alias="id")
    area_code: str
    city_name: str | None
    country_code: str = Field(description="Extension: ISO 3166-1 alpha-3.")
    state_id: int | None = Field(description="Extension: the state or province, if known.")
    type: NumberType = Field(description="Extension.")
    stock: int = Field(description="Extension: DIDs available to provision now.")
    setup_price: Money = Field(description="Extension: charged once when provisioning.")
    monthly_price: Money = Field(
        description="Extension: charged every month, the first on provisioning."
    )
    features: list[str] = Field(description="Extension: capabilities, e.g. fax, t38.")

    @classmethod
    def of(cls, group: DidGroup) -> "DidGroupData":
        return cls.model_validate(group)


class DidGroupsResponse(BaseModel):
    status: Literal["success"] = "success"
    data: list[DidGroupData]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class CountryData(BaseModel):
    country: str = Field(description="Upper-case name.", examples=["CANADA"])
    slug: str = Field(examples=["canada"])
    a2_code: str = Field(description="Despite the name: ISO 3166-1 alpha-3.", examples=["CAN"])
    dial_code: int = Field(examples=[1])

    @classmethod
    def of(cls, country: Country) -> "CountryData":
        return cls(
            country=country.name,
            slug=country.slug,
            a2_code=country.code,
            dial_code=country.dial_code,
        )


class CountriesResponse(BaseModel):
    status: Literal["success"] = "success"
    data: list[CountryData]


class StateData(BaseModel):
    id: str = Field(description="Digits; use as stateId.", examples=["12"])
    name: str = Field(examples=["Manitoba"])
    code: str = Field(examples=["MB"])

    @classmethod
    def of(cls, state: State) -> "StateData":
        return cls(id=str(state.id), name=state.name, code=state.code)


class StatesResponse(BaseModel):
    status: Literal["success"] = "success"
    states: list[StateData]


class AreaCodeData(BaseModel):
    country_code: str
    state_id: int | None
    area_code: str

    @classmethod
    def of(cls, area: AreaCode) -> "AreaCodeData":
        return cls(country_code=area.country_code, state_id=area.state_id, area_code=area.area_code)


class AreaCodesResponse(BaseModel):
    status: Literal["success"] = "success"
    areacodes: list[AreaCodeData]


class NumberData(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read straight from a NumberListing

    id: int
    order_reference: str | None
    country_code: str
    country: str
    city_name: str | None
    area_code: str
    did_group_id: int
    did_number: str = Field(description="E.164.")
    expiration_date: date = Field(description="YYYY-MM-DD.", examples=["2026-12-27"])
    status: str = Field(examples=["Active"])

    @classmethod
    def of(cls, number: NumberListing) -> "NumberData":
        return cls.model_validate(number)


class Pagination(BaseModel):
    total: int
    count: int
    per_page: int
    current_page: int
    total_pages: int
    links: dict[str, str] = Field(
        description="`previous` and `next` page URLs, only those that exist."
    )

    @classmethod
    def of(cls, page: Page[Any], links: dict[str, str]) -> "Pagination":
        return cls(
            total=page.total,
            count=len(page.items),
            per_page=page.request.limit,
            current_page=page.request.page,
            total_pages=page.total_pages,
            links=links,
        )


class Meta(BaseModel):
    pagination: Pagination


class NumbersResponse(BaseModel):
    status: Literal["success"] = "success"
    numbers: list[NumberData]
    meta: Meta


class ApiKeyResponse(BaseModel):
    status: Literal["success"] = "success"
    api_key: str = Field(description="Send it as X-API-Key (or api_key) with every request.")


class BalanceResponse(BaseModel):
    status: Literal["success"] = "success"
    balance: float = Field(description="Exact, written with two decimals.", examples=[100.10])


class LedgerEntryData(BaseModel):
    id: int
    created_at: str = Field(description="ISO 8601, UTC.")
    kind: str = Field(examples=["charge", "renewal", "credit"])
    description: str
    amount: Money = Field(description="Positive for credits, negative for charges.")
    number_id: int | None

    @classmethod
    def of(cls, entry: LedgerEntry) -> "LedgerEntryData":
        return cls(
            id=entry.id,
            created_at=rfc3339(entry.created_at),
            kind=entry.kind,
            description=entry.description,
            amount=entry.amount,
            number_id=entry.number_id,
        )


class LedgerResponse(BaseModel):
    status: Literal["success"] = "success"
    entries: list[LedgerEntryData]
    meta: Meta


class SubuserData(BaseModel):
    id: int
    email: str
    disabled: bool = Field(description="A disabled sub-account gets 401 for key and login.")
    created_at: str = Field(description="ISO 8601, UTC.")

    @classmethod
    def of(cls, account: AccountSummary) -> "SubuserData":
        return cls(
            id=account.id,
            email=account.email,
            disabled=account.disabled,
            created_at=rfc3339(account.created_at),
        )


class SubusersResponse(BaseModel):
    status: Literal["success"] = "success"
    data: list[SubuserData]
    meta: Meta


class SubuserResponse(BaseModel):
    status: Literal["success"] = "success"
    data: SubuserData


class ApiKeyData(BaseModel):
    api_key: str


class SubuserKeyResponse(BaseModel):
    status: Literal["success"] = "success"
    data: ApiKeyData
