"""The outermost layer: request ids, one log line per request, metrics, and faults as a 500.

Every answer carries ``X-Request-Id``. When a request ends, one JSON line is
logged to ``ccstats.access``: request id, method, path (without the query
string), customer (once authenticated), status, bytes sent and duration. No
header, key or query string is ever logged.

A fault (an exception no handler claimed) is logged to ``ccstats.api`` with its
stack trace and the request id; the client gets ``error.internal`` quoting that
id, never the trace. If the answer had already started streaming, the
connection is closed instead. A client that closed the connection before its
request body was complete is no fault: the request is logged and counted with
status `CLIENT_CLOSED` (as nginx does) and no trace.

A HEAD request runs as the GET of its path (RFC 9110, 9.3.2): the routes declare
GET only, the answer's head (Content-Length included) is sent and its body
dropped. Log and metrics still say HEAD.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ccstats import render
from ccstats.api.metrics import Metrics

log = logging.getLogger("ccstats.api")
access_log = logging.getLogger("ccstats.access")

REQUEST_ID_HEADER = b"x-request-id"
#: The status logged and counted for a request whose client went away (nothing is sent).
CLIENT_CLOSED = 499


class RequestIdAndFaults:
    """Pure ASGI middleware (works with streamed answers)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        head = scope.get("method") == "HEAD"
        inner = {**scope, "method": "GET"} if head else scope
        status = 500
        sent = 0
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, sent, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (REQUEST_ID_HEADER, request_id.encode())]
            elif message["type"] == "http.response.body":
                if head:
                    message = {**message, "body": b""}
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(inner, receive, send_with_id)
        except ClientDisconnect:
            status = CLIENT_CLOSED
        except Exception as error:
            log.error("request %s %s %s failed", request_id, scope.get("method"),
                      scope.get("path"), exc_info=error)
            if not started:
                status, sent = 500, await _internal_error(send, request_id)
        finally:
            seconds = time.perf_counter() - began
            route = getattr(inner.get("route"), "path", None) or "unmatched"
            self.metrics.request(scope.get("method", ""), route, status, seconds)
            _log_access(scope, request_id, status, sent, seconds)


async def _internal_error(send: Send, request_id: str) -> int:
    """Answer 500 naming the request id (nothing was sent yet); the body's length."""
    body = render.error_body([{
        "code": "error.internal",
        "message": f"internal error; quote request id {request_id}",
        "param": None,
    }])
    await send({"type": "http.response.start", "status": 500, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (REQUEST_ID_HEADER, request_id.encode()),
    ]})
    await send({"type": "http.response.body", "body": body})
    return len(body)


def _log_access(scope: Scope, request_id: str, status: int, sent: int, seconds: float) -> None:
    access_log.info(orjson.dumps({
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "request_id": request_id,
        "method": scope.get("method"),
        "path": scope.get("path"),
        "customer": scope.get("state", {}).get("customer"),
        "status": status,
        "bytes": sent,
        "ms": round(seconds * 1000, 1),
    }).decode())
