"""A test client of ``GET /v2/realtime/stream``: reads the events in a thread of its own.

`Listener` parses the Server-Sent Events as they arrive (``event:``/``data:`` fields,
a blank line ends an event, lines starting with ``:`` are comments) and hands each
snapshot and comment to a queue, so a test can wait for the next one with a
generous deadline (a guard against hanging, not a measurement). `close` takes
effect at the next line the server sends, so servers of such tests send
keep-alive comments often.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

#: Seconds a test waits for something the server must send; only a guard against hangs.
PATIENCE = 60.0


@dataclass(frozen=True, slots=True)
class Message:
    """One thing the stream sent: a snapshot (its data parsed), a comment, or its end."""

    kind: str
    """``snapshot``, ``comment`` or ``end``."""
    data: Any = None


class Listener:
    """An open stream of `url` (with `auth`), read in a background thread."""

    def __init__(self, url: str, auth: tuple[str, str], params: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.messages: queue.Queue[Message] = queue.Queue()
        self.retry: str | None = None
        self._client = httpx.Client(base_url=url, auth=auth, headers=headers,
                                    timeout=httpx.Timeout(PATIENCE, read=None))
        self._opened = threading.Event()
        self._stop = threading.Event()
        self.status: int | None = None
        self.head: dict[str, str] = {}
        self._thread = threading.Thread(target=self._read, args=(params or {},), daemon=True)
        self._thread.start()
        assert self._opened.wait(PATIENCE), "the stream did not answer"

    def _read(self, params: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", "/v2/realtime/stream", params=params) as response:
                self.status = response.status_code
                self.head = dict(response.headers)
                self._opened.set()
                if response.status_code != 200:
                    response.read()
                    self.messages.put(Message("end", orjson.loads(response.content)))
                    return
                self._parse(response.iter_lines())
        except httpx.HTTPError:
            pass
        finally:
            self._opened.set()
            self.messages.put(Message("end"))

    def _parse(self, lines: Any) -> None:
        event, data = "message", []
        for line in lines:
            if self._stop.is_set():
                return
            if line.startswith(":"):
                self.messages.put(Message("comment", line))
            elif line.startswith("retry:"):
                self.retry = line.partition(":")[2].strip()
            elif line.startswith("event:"):
                event = line.partition(":")[2].strip()
            elif line.startswith("data:"):
                data.append(line.partition(":")[2].removeprefix(" "))
            elif not line and data:
                assert event == "snapshot", event
                self.messages.put(Message("snapshot", orjson.loads("\n".join(data))))
                event, data = "message", []

    def next(self, kind: str = "snapshot") -> Message:
        """The next message of `kind` (or the end, whatever `kind`), skipping others."""
        while True:
            message = self.messages.get(timeout=PATIENCE)
            if message.kind in (kind, "end"):
                return message

    def snapshot_where(self, condition: Any) -> dict[str, Any]:
        """The first coming snapshot for which `condition(data)` holds."""
        while True:
            message = self.next()
            assert message.kind == "snapshot", "the stream ended"
            if condition(message.data):
                return dict(message.data)

    def close(self) -> None:
        """Stop reading (at the next line: run the server with short keep-alives)."""
        self._stop.set()
        self._thread.join(PATIENCE)
        self._client.close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
