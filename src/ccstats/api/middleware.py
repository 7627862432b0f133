"""The outermost layer: a request id on every answer, and faults turned into a 500 envelope.

A fault (an exception no handler claimed) is logged with its stack trace and the
request id; the client gets ``error.internal`` quoting that id, never the trace.
If the answer had already started streaming, the connection is closed instead.
"""

from __future__ import annotations

import logging
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ccstats import render

log = logging.getLogger("ccstats.api")

REQUEST_ID_HEADER = b"x-request-id"


class RequestIdAndFaults:
    """Pure ASGI middleware (works with streamed answers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []),
                                      (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            log.error("request %s %s %s failed", request_id, scope.get("method"),
                      scope.get("path"), exc_info=error)
            if started:
                return
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
