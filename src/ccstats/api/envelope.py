"""The ``{"response", "errors"}`` envelope and the errors that end a request early."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi.responses import Response

from ccstats import render
from ccstats.errors import ApiError

JSON_MEDIA_TYPE = "application/json"


class ApiProblem(Exception):
    """Stop handling a request and answer `status` with `errors` in the envelope."""

    def __init__(self, status: int, errors: Sequence[ApiError],
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.status = status
        self.errors = list(errors)
        self.headers = dict(headers or {})


def unauthorized(message: str = "send HTTP Basic credentials: the customer name and one of "
                                 "its API keys") -> ApiProblem:
    return ApiProblem(401, [ApiError("error.unauthorized", message, None)],
                      {"WWW-Authenticate": 'Basic realm="ccstats"'})


def forbidden(message: str) -> ApiProblem:
    return ApiProblem(403, [ApiError("error.forbidden", message, None)])


def not_found(message: str, param: str | None = None) -> ApiProblem:
    return ApiProblem(404, [ApiError("error.not_found", message, param)])


def too_large(limit: int) -> ApiProblem:
    return ApiProblem(413, [ApiError("error.too_large",
                                     f"the body is larger than {limit} bytes; send smaller "
                                     "batches", "body")])


def body_stalled(seconds: float) -> ApiProblem:
    """408: nothing of the body arrived for `seconds`; the connection is closed after it."""
    return ApiProblem(408, [ApiError("error.timeout",
                                     f"the body stalled: nothing of it arrived for {seconds:g} "
                                     "s; send it without pauses", "body")],
                      {"Connection": "close"})


def too_many_requests(retry_after: int, why: str) -> ApiProblem:
    return ApiProblem(429, [ApiError("error.too_many_requests",
                                     f"{why}; retry after {retry_after} s", None)],
                      {"Retry-After": str(retry_after)})


def unavailable(message: str, retry_after: int = 5) -> ApiProblem:
    return ApiProblem(503, [ApiError("error.unavailable", message, None)],
                      {"Retry-After": str(retry_after)})


def invalid(errors: Sequence[ApiError]) -> ApiProblem:
    return ApiProblem(417, errors)


def ok(value: object, status: int = 200) -> Response:
    return Response(render.success_body(value), status_code=status, media_type=JSON_MEDIA_TYPE)


def failure(problem: ApiProblem) -> Response:
    return Response(render.error_body(e.as_dict() for e in problem.errors),
                    status_code=problem.status, media_type=JSON_MEDIA_TYPE,
                    headers=problem.headers)
