"""The ASGI application: routes, and one place that turns failures into the envelope."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route

from ccstats import __version__, dashboard
from ccstats.api import access, events, metadata, statistics
from ccstats.api.auth import Authenticator
from ccstats.api.envelope import ApiProblem, failure, invalid, not_found, ok, unavailable
from ccstats.api.guard import Guard
from ccstats.api.metrics import Metrics
from ccstats.api.middleware import RequestIdAndFaults
from ccstats.api.schemas import Failure, Health, finish, responses
from ccstats.api.settings import Settings
from ccstats.errors import (
    ApiError,
    EventsRejected,
    NotFound,
    QueryRejected,
    StoreUnavailable,
    wrong_format,
)
from ccstats.service import Service
from ccstats.store import arrow_records

ROUTERS = (statistics.router, metadata.router, events.router, access.router)

log = logging.getLogger("ccstats.api")


def allowed(request: Request) -> str:
    """The ``Allow`` header of a 405: the methods of every route of the request's path.

    (The router names only the first route whose path matched, and GET and POST of
    one path are two routes.)
    """
    methods: set[str] = set()
    for route in [*request.app.router.routes, *(r for rt in ROUTERS for r in rt.routes)]:
        if isinstance(route, Route) and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods or set()
    if "GET" in methods:
        methods.add("HEAD")  # (see ccstats.api.middleware)
    return ", ".join(sorted(methods))


def create_app(service: Service, settings: Settings | None = None) -> FastAPI:
    """The API over `service`."""
    settings = settings or Settings()
    arrow_records.warm_up()
    app = FastAPI(
        title="ccstats",
        version=__version__,
        description="Contact-centre statistics; `GET /v2/statistics/userbased` is compatible "
                    "with VCC Live's API. Every JSON body is {\"response\", \"errors\"}.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    app.state.settings = settings
    app.state.guard = Guard(settings.rate_limit, settings.failed_logins_per_minute)
    app.state.authenticator = Authenticator(service, app.state.guard, settings.base_domain,
                                            settings.auth_cache_seconds)
    app.state.metrics = metrics = Metrics()
    for router in ROUTERS:
        app.include_router(router)
    dashboard.mount(app)

    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        return finish(generate_openapi())

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/health", tags=["service"], summary="200 when the store answers",
             responses=responses(Health, public=True), openapi_extra={"security": []})
    def health() -> Response:
        service.store.customers()
        return ok({"status": "ok"})

    @app.get("/metrics", tags=["service"], summary="Prometheus metrics (no key needed)",
             openapi_extra={"security": []}, response_class=Response, responses={
                 200: {"description": "the Prometheus text format",
                       "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}},
                 500: {"model": Failure, "description": "a fault of the server"}})
    def prometheus() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @app.exception_handler(StoreUnavailable)
    def on_unavailable(request: Request, error: StoreUnavailable) -> Response:
        """The public message to the client; where and why, for the operator, to the log."""
        log.warning("request %s %s %s: %s", request.state.request_id, request.method,
                    request.url.path, error.detail)
        return failure(unavailable(f"{error}; nothing was changed, retry later", retry_after=1))

    @app.exception_handler(ApiProblem)
    def on_problem(_: Request, problem: ApiProblem) -> Response:
        return failure(problem)

    @app.exception_handler(QueryRejected)
    def on_rejected(_: Request, error: QueryRejected) -> Response:
        return failure(invalid(error.errors))

    @app.exception_handler(EventsRejected)
    def on_events_rejected(_: Request, error: EventsRejected) -> Response:
        return failure(invalid(error.errors))

    @app.exception_handler(NotFound)
    def on_not_found(_: Request, error: NotFound) -> Response:
        return failure(not_found(str(error), error.param))


    @app.exception_handler(RequestValidationError)
    def on_invalid_request(_: Request, error: RequestValidationError) -> Response:
        problems = [
            wrong_format(".".join(str(part) for part in item.get("loc", ())[1:]) or "request",
                         str(item.get("msg", "invalid")))
            for item in error.errors()
        ]
        return failure(invalid(problems))

    @app.exception_handler(HTTPException)
    def on_http(request: Request, error: HTTPException) -> Response:
        if error.status_code == 405:
            return failure(ApiProblem(405, [ApiError("error.method_not_allowed",
                                                     "this resource does not allow that method",
                                                     None)], {"Allow": allowed(request)}))
        if error.status_code == 404:
            return failure(not_found("no such resource; see /openapi.json"))
        return failure(ApiProblem(error.status_code, [ApiError(
            "error.bad_arguments", str(error.detail), None)], error.headers))

    app.add_middleware(RequestIdAndFaults, metrics=metrics)
    return app
