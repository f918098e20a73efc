"""Prometheus metrics: requests by route and status, latency, provisions, rate-limit
refusals, and available DIDs per country, for an operator holding the metrics token.

With several worker processes (`serve --workers N`), each writes its samples to files
in PROMETHEUS_MULTIPROC_DIR, which `serve` prepares, and /metrics adds them up: one
answer for the whole server, whichever worker takes the scrape.
"""

import os
import secrets
from collections.abc import Callable, Iterator

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import Scope

from faxnum.api.state import state_of
from faxnum.domain.errors import NotFound, Unauthorized

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
REQUESTS = Counter("faxnum_http_requests", "Requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "faxnum_http_request_duration_seconds",
    "Time to answer a request",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
PROVISIONS = Counter("faxnum_provisions", "Numbers provisioned")
FAXES_RECEIVED = Counter("faxnum_faxes_received", "Faxes taken into an inbox")
FAXES_REFUSED = Counter(
    "faxnum_faxes_refused", "Faxes a gateway offered and faxnum refused", ["reason"]
)
FAX_BYTES_STORED = Counter("faxnum_fax_bytes_stored", "Bytes of received fax files stored")
FAX_INGEST_LATENCY = Histogram(
    "faxnum_fax_ingest_duration_seconds",
    "From a fax's upload read to its commit",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RATE_LIMITED = Counter("faxnum_rate_limited", "Requests refused by a rate limit", ["limit"])

MAX_SERIES = 10_000  # routes x methods x statuses: a few hundred in practice
router = APIRouter(include_in_schema=False)


def record_request(scope: Scope, status: int, seconds: float) -> None:
    """Counts and times an answer under its route's template (never the raw path, whose
    ids would make a series per request)."""
    requests, latency = _series(scope.get("route"), scope, status)
    requests.inc()
    latency.observe(seconds)


_Series = tuple[Counter, Histogram]
_SERIES: dict[tuple[int, int, str, int], tuple[object, _Series]] = {}


def _series(route: object, scope: Scope, status: int) -> _Series:
    """The request's counter and histogram, looked up once per route, depth of path,
    method and status (`labels()` costs more than the rest of the accounting)."""
    method = scope.get("method", "")
    key = (id(route), scope.get("path", "").count("/"), method, status)
    found = _SERIES.get(key)
    if found is not None and found[0] is route:
        return found[1]
    template = route_template(scope)
    series = REQUESTS.labels(method, template, str(status)), LATENCY.labels(template)
    if len(_SERIES) < MAX_SERIES:
        _SERIES[key] = (route, series)
    return series


def route_template(scope: Scope) -> str:
    """The matched route's path template, with the prefix it was included under (which
    the route itself does not carry): /api/v2/countries/{country_code}/didgroups."""
    tail = getattr(scope.get("route"), "path", None)
    if not isinstance(tail, str):
        return "unmatched"
    requested = scope.get("path", "").strip("/").split("/")
    prefix = requested[: len(requested) - len(tail.strip("/").split("/"))]
    return "/" + "/".join([*prefix, tail.strip("/")])


class _StockCollector(Collector):
    """Available DIDs per country, read from the store at scrape time."""

    def __init__(self, read_stock: Callable[[], dict[str, int]]) -> None:
        self._read_stock = read_stock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "faxnum_dids_available", "DIDs available to provision", labels=["country"]
        )
        for country, count in sorted(self._read_stock().items()):
            gauge.add_metric([country], count)
        yield gauge


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    state = state_of(request)
    token = state.settings.metrics_token
    if token is None:
        raise NotFound("Resource not found.")
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        presented.strip().encode(), token.get_secret_value().encode()
    ):
        raise Unauthorized("The metrics need the operator's metrics token.")
    # A count over the inventory: off the event loop, so no other request waits on it.
    stock = await state.database.read_off_loop(lambda uow: uow.catalogue.stock_by_country())
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # unannotated
    else:
        for collector in (REQUESTS, LATENCY, PROVISIONS, RATE_LIMITED):
            registry.register(collector)
    registry.register(_StockCollector(lambda: stock))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
