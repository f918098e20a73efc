"""Wire shapes of received faxes: v2's inbox items exactly, and the extensions'."""

from typing import Any, Literal

from pydantic import BaseModel, Field

from faxnum.api.schemas import Meta


class PhpDate(BaseModel):
    """A date as v2 writes it (PHP's DateTime): always UTC."""

    date: str = Field(examples=["2017-08-01 00:00:00.000000"])
    timezone_type: int = Field(examples=[3])
    timezone: str = Field(examples=["UTC"])


class IncomingFax(BaseModel):
    id: int
    did_id: int
    filename: str
    filesize: str = Field(description="Kilobytes with two decimals: `120.45 KB`.")
    number: str = Field(description="The number the fax was sent to, E.164.")
    sender: str = Field(description="The caller id without '+'; empty when withheld.")
    total_pages: int
    created_at: PhpDate = Field(description="When the fax arrived, UTC.")
    preview_file: str = Field(description="PNG of page 1; opens without the key for 24 h.")
    file_url: str = Field(description="The fax as a PDF; opens without the key for 24 h.")


class IncomingFaxesResponse(BaseModel):
    status: Literal["success"] = "success"
    inbox: list[IncomingFax]
    meta: Meta


class CallFactsData(BaseModel):
    call_id: str
    received_at: str = Field(description="As the gateway reported it, RFC 3339 in UTC.")
    remote_station_id: str | None
    speed: int | None = Field(description="Bit/s, as the gateway reported it.")
    duration: int | None = Field(description="Seconds.")
    ecm: bool | None
    compression: str | None
    original_format: str = Field(description="`image/tiff` or `application/pdf`.")
    account_id: int = Field(description="Whose inbox: the number's holder on arrival.")


class InboxFaxData(IncomingFax):
    call: CallFactsData

    @classmethod
    def of(cls, item: dict[str, Any], facts: dict[str, Any]) -> "InboxFaxData":
        return cls.model_validate({**item, "call": facts})


class InboxFaxResponse(BaseModel):
    status: Literal["success"] = "success"
    data: InboxFaxData
