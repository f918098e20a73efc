"""Liveness: answers while the process is up; needs no key and touches no database."""

from fastapi import APIRouter, Response

from faxnum.api.responses import documented, success
from faxnum.api.schemas import Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=None, responses=documented(Health))
async def healthz() -> Response:
    return success(Health())
