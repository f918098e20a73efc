"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database
answers and its schema is at the latest migration). Neither needs a key."""

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from faxnum.api.responses import documented, failure, success
from faxnum.api.schemas import Health
from faxnum.store.database import Database
from faxnum.store.migrate import schema_is_current

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=None, responses=documented(Health))
async def healthz() -> Response:
    return success(Health())


@router.get("/readyz", response_model=None, responses=documented(Health, 503))
async def readyz(request: Request) -> Response:
    database: Database = request.app.state.database
    try:
        current = await run_in_threadpool(schema_is_current, database.read_engine)
    except Exception:  # any failure to reach the database means: not ready
        return failure(503, "Database unreachable.")
    if not current:
        return failure(503, "Database schema is not at the latest migration; run `faxnum migrate`.")
    return success(Health())
