"""Liveness: answers while the process is up; needs no key and touches no database."""

from fastapi import APIRouter

from faxnum.api.schemas import Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health()
