"""`/health` and `/metrics`: what a load balancer and a monitoring system ask, without a key."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from ccstats.api.dependencies import ServiceDep
from ccstats.api.envelope import ok
from ccstats.api.metrics import Metrics
from ccstats.api.schemas import Failure, Health, responses

router = APIRouter(tags=["service"])


@router.get("/health", summary="200 when the store answers",
            responses=responses(Health, public=True), openapi_extra={"security": []})
def health(service: ServiceDep) -> Response:
    service.check_store()
    return ok({"status": "ok"})


@router.get("/metrics", summary="Prometheus metrics (no key needed)",
            openapi_extra={"security": []}, response_class=Response, responses={
                200: {"description": "the Prometheus text format",
                      "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}},
                500: {"model": Failure, "description": "a fault of the server"}})
def prometheus(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
