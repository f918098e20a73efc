"""Wire shapes of the v2 API, kept apart from tables and domain entities."""

from typing import Literal

from pydantic import BaseModel, Field

from faxnum.domain.numbers import DidGroup, NumberType, ProvisionedNumber


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
    did_group_id: int
    area_code: str
    city_name: str | None
    country_code: str = Field(description="Extension: ISO 3166-1 alpha-3.")
    state_id: int | None = Field(description="Extension: the state or province, if known.")
    type: NumberType = Field(description="Extension.")
    stock: int = Field(description="Extension: DIDs available to provision now.")
    setup_price: float = Field(description="Extension: charged once when provisioning.")
    monthly_price: float = Field(
        description="Extension: charged every month, the first on provisioning."
    )

    @classmethod
    def of(cls, group: DidGroup) -> "DidGroupData":
        return cls(
            did_group_id=group.id,
            area_code=group.area_code,
            city_name=group.city_name,
            country_code=group.country_code,
            state_id=group.state_id,
            type=group.type,
            stock=group.stock,
            setup_price=float(group.setup_price),
            monthly_price=float(group.monthly_price),
        )


class DidGroupsResponse(BaseModel):
    status: Literal["success"] = "success"
    data: list[DidGroupData]


class Health(BaseModel):
    status: Literal["ok"] = "ok"
