"""Errors a client can cause, in the shape of the API's envelope (api.md, "Envelope and errors")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ccstats.events import EventError


@dataclass(frozen=True, slots=True)
class ApiError:
    """``{"code": "error.<name>", "message": "...", "param": "<name or null>"}``."""

    code: str
    message: str
    param: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "param": self.param}

    def __str__(self) -> str:
        return f"{self.param}: {self.message}" if self.param else self.message


def required(param: str, message: str) -> ApiError:
    return ApiError("error.required", message, param)


def wrong_format(param: str, message: str) -> ApiError:
    return ApiError("error.wrong_format", message, param)


def bad_arguments(param: str, message: str) -> ApiError:
    return ApiError("error.bad_arguments", message, param)


class Rejected(Exception):
    """A request or batch that was refused as a whole; nothing was changed."""

    def __init__(self, errors: Sequence[ApiError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = list(errors)


class InvalidRequest(Rejected):
    """Options or arguments of a request or command that are missing or invalid (HTTP 417):
    of a statistics request, a key, a customer, a name mapping, a copy; nothing was changed."""


class EventsRejected(Rejected):
    """A batch of events with at least one invalid line (HTTP 417); nothing was stored.

    `errors` holds one error per bad line (of the first 100): its param names the
    line and the first member at fault, its message every problem of the line.
    `problems` keeps them one by one; `rejected_lines` counts every bad line.
    """

    def __init__(self, problems: Sequence[EventError], rejected_lines: int) -> None:
        by_line: dict[int, list[EventError]] = {}
        for problem in problems:
            by_line.setdefault(problem.line, []).append(problem)
        super().__init__([_line_error(found) for found in by_line.values()])
        self.problems = list(problems)
        self.rejected_lines = rejected_lines


def _line_error(problems: list[EventError]) -> ApiError:
    first = problems[0]
    details = "; ".join(
        f"{p.member}: {p.message}" if p.member else p.message for p in problems
    )
    return ApiError(first.code, f"{first.place}: {details}", first.param)


class NotFound(Exception):
    """An unknown customer, resource or id (HTTP 404); `param` names what was unknown."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class StoreUnavailable(Exception):
    """The database cannot be opened or used right now (locked, missing, full, unreachable).

    ``str(error)`` is the public message, which any client may read: it names no
    host, port, database, URL, file or credential. `detail` is the operator's
    message (the server log, the command line): it may name where the database
    is, as the store's redacted URL or its file, but never a password.
    """

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail or message


class StoreBusy(StoreUnavailable):
    """Another writer changed the same customer meanwhile; nothing was stored: retry."""
