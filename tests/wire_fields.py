"""The seed endpoint's answer as the wire contract states it: `data`'s fields, in order,
with their JSON types."""

PROVISIONED_NUMBER_FIELDS: dict[str, type] = {
    "id": int,
    "didid": int,
    "did_id": int,
    "did_group_id": int,
    "country_code": str,
    "city_name": str,
    "area_code": str,
    "number": str,
    "type": str,
    "trunk_id": int,
}
