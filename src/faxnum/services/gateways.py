"""Gateway credentials: created and revoked by the operator, presented as a bearer
token on `/gateway/v1`. An API key is never one, nor a gateway token an API key: the
two live in different tables, under different prefixes."""

from datetime import datetime

from faxnum.domain.api_keys import key_digest
from faxnum.domain.errors import Conflict, NotFound, Unauthorized
from faxnum.domain.gateways import Gateway, check_gateway_name, is_gateway_token, new_gateway_token
from faxnum.services.ports.faxes import InboxUnitOfWork


def create_gateway(uow: InboxUnitOfWork, name: str, now: datetime) -> tuple[Gateway, str]:
    """The new gateway and its token, which is kept only as a digest."""
    name = check_gateway_name(name)
    if uow.gateways.named(name) is not None:
        raise Conflict(f"A gateway named {name!r} exists already; revoke it or pick another name.")
    token = new_gateway_token()
    gateway_id = uow.gateways.add_gateway(name, key_digest(token), now)
    uow.commit()
    return Gateway(gateway_id, name, now, None), token


def revoke_gateway(uow: InboxUnitOfWork, name: str, now: datetime) -> None:
    if not uow.gateways.revoke(name, now):
        raise NotFound(f"No live gateway named {name!r}.")
    uow.commit()


def list_gateways(uow: InboxUnitOfWork) -> list[Gateway]:
    return uow.gateways.all()


def token_digest(token: str | None) -> bytes:
    """The digest of a token shaped like a gateway token; Unauthorized for anything else."""
    if not token or not token.isascii() or not is_gateway_token(token):
        raise Unauthorized("A gateway token is required: Authorization: Bearer fxg_...")
    return key_digest(token)


def gateway_of(uow: InboxUnitOfWork, digest: bytes) -> Gateway:
    gateway = uow.gateways.by_digest(digest)
    if gateway is None:
        raise Unauthorized("Unknown or revoked gateway token.")
    return gateway


def authenticate_gateway(uow: InboxUnitOfWork, token: str | None) -> Gateway:
    return gateway_of(uow, token_digest(token))
