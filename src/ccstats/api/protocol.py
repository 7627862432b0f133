"""Requests the server cannot read are answered in the envelope, not in uvicorn's plain text.

When h11 refuses a request before any application code runs (a malformed
request line or header, or a head that outgrows its buffer), uvicorn answers a
``text/plain`` 400 and closes the connection. `EnvelopeH11Protocol` answers the
same cases with the JSON envelope, and with the status that says why: 414 when
the request line (the URL) alone is longer than the buffer, 431 when the
headers are, 400 for anything else. The connection is closed afterwards, as
before. ``ccstats serve`` runs uvicorn with this protocol and `MAX_HEAD_BYTES`.
"""

from __future__ import annotations

import sys
from http import HTTPStatus

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ccstats import render
from ccstats.errors import ApiError

#: The most bytes of request line and headers the server reads (h11's default, given to
#: uvicorn as ``h11_max_incomplete_event_size``).
MAX_HEAD_BYTES = 16 * 1024

#: status -> (error code, message)
PROBLEMS = {
    400: ("error.bad_request", "the request is not valid HTTP/1.1"),
    414: ("error.uri_too_long", "the URL is too long; send long lists in several requests"),
    431: ("error.headers_too_large", "the request headers are too large"),
    501: ("error.not_implemented", "the request uses an HTTP feature this server does not "
                                   "implement"),
}


class EnvelopeH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with its answer to unreadable requests in the envelope."""

    def send_400_response(self, msg: str) -> None:
        status = self._status()
        body = render.error_body([ApiError(*PROBLEMS[status], None).as_dict()])
        headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]
        for event in (h11.Response(status_code=status, headers=headers,
                                   reason=HTTPStatus(status).phrase.encode()),
                      h11.Data(data=body), h11.EndOfMessage()):
            output = self.conn.send(event)
            if output:
                self.transport.write(output)
        self.transport.close()

    def _status(self) -> int:
        """The status of the refusal being handled (uvicorn calls `send_400_response` from
        its handler of h11's error, whose status hint says 431 for an oversized head)."""
        error = sys.exception()
        hint = getattr(error, "error_status_hint", 400) if isinstance(
            error, h11.RemoteProtocolError) else 400
        if hint == 431:
            limit = self.config.h11_max_incomplete_event_size or MAX_HEAD_BYTES
            pending = self.conn.trailing_data[0].lstrip(b"\r\n")
            line_end = pending.find(b"\n")
            return 414 if (len(pending) if line_end < 0 else line_end) > limit else 431
        return hint if hint in PROBLEMS else 400
