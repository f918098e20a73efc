"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database
answers and its schema is at the latest migration). Neither needs a key."""

from fastapi import APIRouter, Request, Response

from faxnum.api.edge.hot_routes import hot_route
from faxnum.api.responses import documented, success
from faxnum.api.schemas import Health
from faxnum.api.state import state_of
from faxnum.domain.errors import DomainError, Unavailable
from faxnum.services.readiness import check_ready

router = APIRouter(tags=["operations"])


HEALTHZ = "/healthz"


async def answer_healthz(_: Request) -> Response:
    return success(Health())


@router.get(HEALTHZ, response_model=None, responses=documented(Health))
@router.head(HEALTHZ, include_in_schema=False)
async def healthz(request: Request) -> Response:
    return await answer_healthz(request)


HOT_ROUTES = [hot_route(HEALTHZ, ["GET", "HEAD"], answer_healthz)]


@router.get("/readyz", response_model=None, responses=documented(Health, 503))
@router.head("/readyz", include_in_schema=False)
async def readyz(request: Request) -> Response:
    state = state_of(request)
    try:
        await state.database.read_off_loop(check_ready)
    except DomainError:
        raise
    except Exception as exc:  # any failure to reach the database means: not ready
        raise Unavailable("Database unreachable.") from exc
    if not await state.limiter.reachable():  # every API call would get 503
        raise Unavailable("Rate limiting (Redis) unreachable.")
    return success(Health())
