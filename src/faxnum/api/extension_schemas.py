"""Wire shapes of faxnum's extensions: `{"status": "success", "data": ...}`, lists with
`meta.pagination`, money as two-decimal numbers, times RFC 3339 UTC."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from faxnum.api.money_json import Money
from faxnum.api.params import MAX_ID
from faxnum.api.schemas import Meta, NumberData, ProvisionedNumberData
from faxnum.domain.dates import rfc3339
from faxnum.domain.idempotency import KEY_PATTERN
from faxnum.domain.numbers import AvailableNumber, NumberListing, NumberType
from faxnum.domain.orders import (
    MAX_ORDER_NUMBERS,
    MAX_ORDER_QUANTITY,
    NumbersWanted,
    Order,
    QuantityWanted,
    ReservationWanted,
    Wanted,
)
from faxnum.domain.reservations import (
    DEFAULT_TTL_SECONDS,
    MAX_NUMBERS_PER_REQUEST,
    MAX_TTL_SECONDS,
    MIN_TTL_SECONDS,
    Reservation,
)
from faxnum.domain.trunks import MAX_TRUNK_NAME_LENGTH, MAX_URI_LENGTH, NAME_REGEX, URI_REGEX, Trunk

E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"
E164 = Annotated[str, StringConstraints(pattern=E164_PATTERN)]


def _whole(value: object) -> object:
    """JSON Schema's integer includes 2.0; strings and booleans stay refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _between(low: int, high: int) -> tuple[Any, ...]:
    """A JSON integer from `low` to `high`, documented as such (a before-validator
    would otherwise leak pydantic's own `ge`/`le` names into the schema)."""
    return (
        BeforeValidator(_whole),
        Field(ge=low, le=high),
        WithJsonSchema({"type": "integer", "minimum": low, "maximum": high}),
    )


Id = Annotated[int, *_between(1, MAX_ID)]
HoldQuantity = Annotated[int, *_between(1, MAX_NUMBERS_PER_REQUEST)]
OrderQuantity = Annotated[int, *_between(1, MAX_ORDER_QUANTITY)]
TtlSeconds = Annotated[int, *_between(MIN_TTL_SECONDS, MAX_TTL_SECONDS)]


# Requests. Unknown fields (an `api_key` sent in the body) are ignored.


def _one_of(*shapes: tuple[str, ...]) -> Callable[[dict[str, Any]], None]:
    """Document a body that takes exactly one of several sets of fields: `oneOf` the
    shapes, each forbidding the others' fields; optional fields shown without `null`."""
    fields = {name for shape in shapes for name in shape}

    def rewrite(schema: dict[str, Any]) -> None:
        for name in fields:
            prop = schema["properties"][name]
            kept = [option for option in prop.pop("anyOf", []) if option != {"type": "null"}]
            prop.update(kept[0] if len(kept) == 1 else {"anyOf": kept} if kept else {})
            if prop.get("default", 0) is None:
                del prop["default"]
        schema["oneOf"] = [
            {
                "required": list(shape),
                "not": {"anyOf": [{"required": [other]} for other in sorted(fields - set(shape))]},
            }
            for shape in shapes
        ]

    return rewrite


class ReservationRequest(BaseModel):
    """Either `numbers`, or `did_group_id` with `quantity`."""

    model_config = ConfigDict(json_schema_extra=_one_of(("numbers",), ("did_group_id", "quantity")))

    numbers: list[E164] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_NUMBERS_PER_REQUEST,
        description="E.164, each once.",
        json_schema_extra={"uniqueItems": True},
    )
    did_group_id: Id | None = None
    quantity: HoldQuantity | None = None
    ttl_seconds: TtlSeconds = DEFAULT_TTL_SECONDS
    idempotency_key: str | None = Field(
        default=None,
        pattern=f"^{KEY_PATTERN}$",
        description="Same as the Idempotency-Key header, for clients that cannot set one.",
    )

    @model_validator(mode="after")
    def _one_shape(self) -> "ReservationRequest":
        by_group = self.did_group_id is not None or self.quantity is not None
        if (self.numbers is None) == (not by_group):
            raise ValueError("send either numbers, or did_group_id with quantity")
        if by_group and (self.did_group_id is None or self.quantity is None):
            raise ValueError("did_group_id and quantity go together")
        return self

    def wanted(self) -> NumbersWanted | QuantityWanted:
        if self.numbers is not None:
            return NumbersWanted(tuple(self.numbers))
        assert self.did_group_id is not None and self.quantity is not None
        return QuantityWanted(self.did_group_id, self.quantity)

    def fingerprint(self) -> str:
        """What was asked, canonically: the same key with another request is refused."""
        wanted = self.wanted()
        if isinstance(wanted, NumbersWanted):
            return f"reserve:numbers:{','.join(wanted.numbers)}:{self.ttl_seconds}"
        return f"reserve:group:{wanted.group_id}:{wanted.quantity}:{self.ttl_seconds}"


class OrderRequest(BaseModel):
    """One of: `numbers`; `did_group_id` with `quantity`; `reservation_id`."""

    model_config = ConfigDict(
        json_schema_extra=_one_of(("numbers",), ("did_group_id", "quantity"), ("reservation_id",))
    )

    numbers: list[E164] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_ORDER_NUMBERS,
        description="E.164, each once.",
        json_schema_extra={"uniqueItems": True},
    )
    did_group_id: Id | None = None
    quantity: OrderQuantity | None = None
    reservation_id: Id | None = None
    idempotency_key: str | None = Field(
        default=None,
        pattern=f"^{KEY_PATTERN}$",
        description="Same as the Idempotency-Key header, for clients that cannot set one.",
    )

    @model_validator(mode="after")
    def _one_shape(self) -> "OrderRequest":
        by_group = self.did_group_id is not None or self.quantity is not None
        shapes = (self.numbers is not None) + by_group + (self.reservation_id is not None)
        if shapes != 1:
            raise ValueError("send one of: numbers; did_group_id with quantity; reservation_id")
        if by_group and (self.did_group_id is None or self.quantity is None):
            raise ValueError("did_group_id and quantity go together")
        return self

    def wanted(self) -> Wanted:
        if self.numbers is not None:
            return NumbersWanted(tuple(self.numbers))
        if self.reservation_id is not None:
            return ReservationWanted(self.reservation_id)
        assert self.did_group_id is not None and self.quantity is not None
        return QuantityWanted(self.did_group_id, self.quantity)

    def fingerprint(self) -> str:
        """What was asked, canonically: the same key with another request is refused."""
        wanted = self.wanted()
        if isinstance(wanted, NumbersWanted):
            return "order:numbers:" + ",".join(wanted.numbers)
        if isinstance(wanted, ReservationWanted):
            return f"order:reservation:{wanted.reservation_id}"
        return f"order:group:{wanted.group_id}:{wanted.quantity}"


TrunkName = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TRUNK_NAME_LENGTH, pattern=NAME_REGEX)
]
SipUri = Annotated[str, StringConstraints(max_length=MAX_URI_LENGTH, pattern=URI_REGEX)]


class TrunkCreate(BaseModel):
    name: TrunkName
    uri: SipUri = Field(description="sip: or sips: URI, e.g. sip:fax@pbx.example.com:5060.")
    t38: bool = True
    is_default: bool = Field(default=False, description="New numbers get the default trunk.")


class TrunkPatch(BaseModel):
    """Fields left out (or null) stay as they are."""

    name: TrunkName | None = None
    uri: SipUri | None = None
    t38: bool | None = None
    is_default: bool | None = Field(
        default=None, description="Only true: make this the default (the old one stops being)."
    )


class NumberPatch(BaseModel):
    trunk_id: Id


# Answers.


class AvailableNumberData(BaseModel):
    number: str = Field(description="E.164.", examples=["+12125550123"])
    did_group_id: int
    country_code: str = Field(description="ISO 3166-1 alpha-3.")
    city_name: str | None
    area_code: str
    type: NumberType
    setup_price: Money
    monthly_price: Money
    features: list[str]

    @classmethod
    def of(cls, found: AvailableNumber) -> "AvailableNumberData":
        group = found.group
        return cls(
            number=found.number,
            did_group_id=group.id,
            country_code=group.country_code,
            city_name=group.city_name,
            area_code=group.area_code,
            type=group.type,
            setup_price=group.setup_price,
            monthly_price=group.monthly_price,
            features=list(group.features),
        )


class AvailableNumbersResponse(BaseModel):
    status: Literal["success"] = "success"
    data: list[AvailableNumberData]
    meta: Meta


class ReservationData(BaseModel):
    id: int
    numbers: list[str] = Field(description="E.164, in number order.")
    created_at: str = Field(description="RFC 3339, UTC.")
    expires_at: str = Field(description="RFC 3339, UTC.")
    status: Literal["active", "cancelled", "expired", "ordered"]

    @classmethod
    def of(cls, reservation: Reservation, now: datetime) -> "ReservationData":
        return cls(
            id=reservation.id,
            numbers=list(reservation.numbers),
            created_at=rfc3339(reservation.created_at),
            expires_at=rfc3339(reservation.expires_at),
            status=reservation.status_at(now).value,
        )


class ReservationResponse(BaseModel):
    status: Literal["success"] = "success"
    data: ReservationData


class ReservationsResponse(BaseModel):
    status: Literal["success"] = "success"
    data: list[ReservationData]
    meta: Meta


class OrderData(BaseModel):
    id: int
    created_at: str = Field(description="RFC 3339, UTC.")
    numbers: list[ProvisionedNumberData] = Field(
        description="Each exactly as the provisioning endpoint answers it."
    )
    total_charged: Money

    @classmethod
    def of(cls, order: Order) -> "OrderData":
        return cls(
            id=order.id,
            created_at=rfc3339(order.created_at),
            numbers=[ProvisionedNumberData.of(number) for number in order.numbers],
            total_charged=order.total_charged,
        )


class OrderResponse(BaseModel):
    status: Literal["success"] = "success"
    data: OrderData


class OrdersResponse(BaseModel):
    status: Literal["success"] = "success"
    data: list[OrderData]
    meta: Meta


class NumberDetailData(NumberData):
    trunk_id: int

    @classmethod
    def of(cls, number: NumberListing) -> "NumberDetailData":
        return cls.model_validate(number)


class NumberResponse(BaseModel):
    status: Literal["success"] = "success"
    data: NumberDetailData


class NumbersWithTrunksResponse(BaseModel):
    """`/numbers?include=trunk_id`: v2's list, each item with its trunk."""

    status: Literal["success"] = "success"
    numbers: list[NumberDetailData]
    meta: Meta


class TrunkData(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int = Field(
        description="The account it belongs to (a sub-account's, seen by its parent)."
    )
    name: str
    uri: str | None = Field(description="None until routed (an account's first trunk).")
    t38: bool
    is_default: bool

    @classmethod
    def of(cls, trunk: Trunk) -> "TrunkData":
        return cls.model_validate(trunk)


class TrunkResponse(BaseModel):
    status: Literal["success"] = "success"
    data: TrunkData


class TrunksResponse(BaseModel):
    status: Literal["success"] = "success"
    data: list[TrunkData]
    meta: Meta
