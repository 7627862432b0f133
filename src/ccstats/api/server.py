"""Running the API with uvicorn."""

from __future__ import annotations

import socket

import uvicorn
from fastapi import FastAPI

from ccstats.api.protocol import MAX_HEAD_BYTES, EnvelopeH11Protocol
from ccstats.api.stream import Broadcaster


class _Server(uvicorn.Server):
    """uvicorn's server, which ends the open real-time streams first when it stops:
    uvicorn waits for every response to finish, and a stream would not."""

    def __init__(self, config: uvicorn.Config, broadcaster: Broadcaster) -> None:
        super().__init__(config)
        self._broadcaster = broadcaster

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._broadcaster.close()
        await super().shutdown(sockets)


def run(app: FastAPI, host: str, port: int) -> None:
    """Serve `app` (from `ccstats.api.app.create_app`) until the process is told to stop."""
    config = uvicorn.Config(app, host=host, port=port, log_level="info", access_log=False,
                            http=EnvelopeH11Protocol,
                            h11_max_incomplete_event_size=MAX_HEAD_BYTES)
    _Server(config, app.state.broadcaster).run()
