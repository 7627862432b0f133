"""What the client raises: the API's refusals with their envelope's errors, and its own.

Every refusal of the server is an `ApiFailure` carrying the envelope's errors
(``{"code", "message", "param"}``, README "Errors"); `code`, `message` and `param`
are those of the first. A refused batch of events is an `EventsRefused`, which
also says where in the caller's events the bad one was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ccstats.errors import ApiError

__all__ = ["ApiError", "ApiFailure", "ClientError", "EventsRefused", "RetriesExhausted",
           "UnknownOption", "Unreachable"]


class ClientError(Exception):
    """Anything `ccstats.client` raises about a request."""


class UnknownOption(ClientError, TypeError):
    """An option the resource does not have, or a value of a form the client cannot send;
    raised before anything is sent."""


class Unreachable(ClientError):
    """The server could not be reached, or the connection broke before an answer."""


class ApiFailure(ClientError):
    """The server refused the request (any status but 200): `status`, the envelope's
    `errors`, and `code`, `message` and `param` of the first error."""

    def __init__(self, status: int, errors: Sequence[ApiError], request_id: str | None = None
                 ) -> None:
        self.status = status
        self.errors = list(errors)
        self.request_id = request_id
        super().__init__(self._text())

    @property
    def code(self) -> str | None:
        return self.errors[0].code if self.errors else None

    @property
    def message(self) -> str | None:
        return self.errors[0].message if self.errors else None

    @property
    def param(self) -> str | None:
        return self.errors[0].param if self.errors else None

    def _text(self) -> str:
        problems = "; ".join(f"{error.code}: {_said(error)}" for error in self.errors)
        return f"{self.status} {problems}" if problems else f"status {self.status}"


def _said(error: ApiError) -> str:
    """The error's message, after its param unless the message starts with it already
    (as a refused event's ``line 2: time: missing...`` does)."""
    if error.param and not error.message.startswith(error.param):
        return f"{error.param}: {error.message}"
    return error.message


class RetriesExhausted(ApiFailure):
    """The server still answered 429 or 503 after the client's retries; `attempts` counts
    the requests sent, the other attributes are those of the last answer."""

    def __init__(self, last: ApiFailure, attempts: int) -> None:
        self.attempts = attempts
        super().__init__(last.status, last.errors, last.request_id)

    def _text(self) -> str:
        return f"gave up after {self.attempts} attempts; the last answer: {super()._text()}"


_LINE = re.compile(r"line (\d+)(?:: (.+))?")


class EventsRefused(ApiFailure):
    """A batch of `send_events` was refused (417): nothing of it was stored, the batches
    before it were (`stored` events).

    `line` is the 1-based position, among all the events given to `send_events`, of the
    first bad event, and `member` the member the server named (``None`` when it named
    none); `batch_line` is its line within its batch, as the server's ``param`` says
    (``line 12: start``). Every bad line of the batch is in `errors`.
    """

    def __init__(self, failure: ApiFailure, first_line: int, stored: int) -> None:
        found = _LINE.fullmatch(failure.param or "")
        self.batch_line = int(found[1]) if found else None
        self.line = None if self.batch_line is None else first_line - 1 + self.batch_line
        self.member = found[2] if found else None
        self.stored = stored
        super().__init__(failure.status, failure.errors, failure.request_id)

    def _text(self) -> str:
        where = "a batch" if self.line is None else f"event {self.line}"
        member = f" ({self.member})" if self.member else ""
        return (f"{where}{member} was refused, so its batch was not stored "
                f"({self.stored} events before it were): {super()._text()}")
