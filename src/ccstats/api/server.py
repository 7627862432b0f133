"""Running the API with uvicorn; a stop (Ctrl-C, SIGTERM) is a normal end."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import uvicorn
from fastapi import FastAPI

from ccstats.api.protocol import MAX_HEAD_BYTES, EnvelopeH11Protocol
from ccstats.api.stream import Broadcaster

#: Seconds a stopping server waits for a client that takes nothing of what is sent to it.
STUCK_AFTER = 5.0


class _Server(uvicorn.Server):
    """uvicorn's server, which ends the open real-time streams first when it stops, and
    then disconnects clients that have stopped reading: uvicorn waits for every
    response to be sent, and a stream, or a client that reads nothing, would never let
    it stop."""

    def __init__(self, config: uvicorn.Config, broadcaster: Broadcaster) -> None:
        super().__init__(config)
        self._broadcaster = broadcaster

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._broadcaster.close()
        watchdog = asyncio.get_running_loop().create_task(self._drop_stuck_clients())
        try:
            await super().shutdown(sockets)
        finally:
            watchdog.cancel()

    async def _drop_stuck_clients(self) -> None:
        """After `STUCK_AFTER` seconds, abort the connections whose sending is paused
        (the client's buffers are full); a request being worked on is not one of them."""
        await asyncio.sleep(STUCK_AFTER)
        for connection in list(self.server_state.connections):
            flow = getattr(connection, "flow", None)
            if flow is not None and flow.write_paused:
                connection.transport.abort()


def run(app: FastAPI, host: str, port: int, trusted_proxies: tuple[str, ...] = ()) -> None:
    """Serve `app` (from `ccstats.api.app.create_app`) until the process is told to stop.

    A request whose direct peer lies in `trusted_proxies` (CIDRs) has the client address
    of its ``X-Forwarded-For`` (the last one not itself in a trusted network, as uvicorn
    picks it) and the scheme of its ``X-Forwarded-Proto``; without trusted proxies both
    headers are ignored, whoever sends them.
    """
    config = uvicorn.Config(app, host=host, port=port, log_level="info", access_log=False,
                            http=EnvelopeH11Protocol,
                            h11_max_incomplete_event_size=MAX_HEAD_BYTES,
                            # uvicorn would trust 127.0.0.1 (or env FORWARDED_ALLOW_IPS)
                            # by default: only what the operator names is trusted here.
                            proxy_headers=bool(trusted_proxies),
                            forwarded_allow_ips=list(trusted_proxies))
    with contextlib.suppress(KeyboardInterrupt):  # (uvicorn raises the stop signal again)
        _Server(config, app.state.broadcaster).run()
