"""The one place that turns failures into the envelope: every exception a route may raise,
and the framework's own (unknown path, wrong method, unreadable parameters)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route

from ccstats.api.envelope import ApiProblem, failure, invalid, not_found, unavailable
from ccstats.errors import (
    ApiError,
    EventsRejected,
    InvalidRequest,
    NotFound,
    StoreUnavailable,
    wrong_format,
)

log = logging.getLogger("ccstats.api")


def allowed(request: Request) -> str:
    """The ``Allow`` header of a 405: the methods of every route of the request's path.

    (The router names only the first route whose path matched, and GET and POST of
    one path are two routes. The application lists an included router as one entry,
    so the routers themselves are read: ``app.state.routers``.)
    """
    methods: set[str] = set()
    routers = request.app.state.routers
    for route in [*request.app.router.routes, *(r for rt in routers for r in rt.routes)]:
        if isinstance(route, Route) and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods or set()
    if "GET" in methods:
        methods.add("HEAD")  # (see ccstats.api.middleware)
    return ", ".join(sorted(methods))


def on_unavailable(request: Request, error: StoreUnavailable) -> Response:
    """The public message to the client; where and why, for the operator, to the log."""
    log.warning("request %s %s %s: %s", request.state.request_id, request.method,
                request.url.path, error.detail)
    return failure(unavailable(f"{error}; nothing was changed, retry later", retry_after=1))


def on_problem(_: Request, problem: ApiProblem) -> Response:
    return failure(problem)


def on_rejected(_: Request, error: InvalidRequest | EventsRejected) -> Response:
    return failure(invalid(error.errors))


def on_not_found(_: Request, error: NotFound) -> Response:
    return failure(not_found(str(error), error.param))


def on_invalid_request(_: Request, error: RequestValidationError) -> Response:
    problems = [
        wrong_format(".".join(str(part) for part in item.get("loc", ())[1:]) or "request",
                     str(item.get("msg", "invalid")))
        for item in error.errors()
    ]
    return failure(invalid(problems))


def on_http(request: Request, error: HTTPException) -> Response:
    if error.status_code == 405:
        return failure(ApiProblem(405, [ApiError("error.method_not_allowed",
                                                 "this resource does not allow that method",
                                                 None)], {"Allow": allowed(request)}))
    if error.status_code == 404:
        return failure(not_found("no such resource; see /openapi.json"))
    return failure(ApiProblem(error.status_code, [ApiError(
        "error.bad_arguments", str(error.detail), None)], error.headers))


HANDLERS: tuple[tuple[type[Exception], Callable[[Request, Any], Response]], ...] = (
    (StoreUnavailable, on_unavailable),
    (ApiProblem, on_problem),
    (InvalidRequest, on_rejected),
    (EventsRejected, on_rejected),
    (NotFound, on_not_found),
    (RequestValidationError, on_invalid_request),
    (HTTPException, on_http),
)


def install(app: FastAPI) -> None:
    """Answer every failure of `app` in the envelope."""
    for error_type, handler in HANDLERS:
        app.add_exception_handler(error_type, handler)
