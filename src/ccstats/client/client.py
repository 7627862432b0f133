"""`Client`: one customer's statistics, events and real time, as DataFrames."""

from __future__ import annotations

from collections.abc import Generator, Iterable
from datetime import date
from types import TracebackType

import httpx

from ccstats.client import options
from ccstats.client.connection import Connection
from ccstats.client.errors import UnknownOption
from ccstats.client.events import Event, send
from ccstats.client.frames import DataFrame, FrameKind, frame, read_csv
from ccstats.client.options import Value
from ccstats.client.realtime import Snapshot, snapshot, snapshot_data
from ccstats.client.wide import widen

FRAME_KINDS = ("pandas", "polars")


def _kind(kind: str) -> FrameKind:
    """`kind` checked before anything is sent."""
    if kind == "pandas":
        return "pandas"
    if kind == "polars":
        return "polars"
    raise UnknownOption(f"frame must be one of {', '.join(FRAME_KINDS)}; got {kind!r}")


class Client:
    """The API of the server at `url` as customer `customer`, with its API key `key`.

    Statistics come as DataFrames in long form, one row per record and field (as
    the API's csv), or with ``wide=True`` one row per record; pandas by default,
    polars with ``frame="polars"``. Options are keyword arguments named as in the
    API (``projects=[2, 3]``, ``hide_system_users=True``, ``manual_sla=20``); an
    option the resource does not have raises `UnknownOption` before anything is
    sent. A refusal of the server raises `ApiFailure` (its `code`, `message` and
    `param`); 429 and 503 are retried after ``Retry-After``, at most `max_retries`
    times. `timeout` is in seconds, for connecting and between two reads.
    """

    def __init__(self, url: str, customer: str, key: str, *, timeout: float = 60.0,
                 max_retries: int = 5) -> None:
        self._connection = Connection(url, customer, key, timeout, max_retries)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._connection.close()

    # statistics -------------------------------------------------------------------------
    def userbased(self, start: date, end: date, dimensions: str | Iterable[str], *,
                  wide: bool = False, frame: str = "pandas", **option: Value) -> DataFrame:
        """``GET /v2/statistics/userbased`` from `start` to `end` (inclusive local dates):
        columns of the `dimensions` asked (``date``, ``time``, ``projectId``,
        ``userId``), then ``level``, ``field``, ``count``, ``sum``."""
        params = options.period(start, end, dimensions)
        return self._statistics("userbased", options.USERBASED, params, wide, frame, option)

    def inbound(self, start: date, end: date, dimensions: str | Iterable[str], *,
                wide: bool = False, frame: str = "pandas", **option: Value) -> DataFrame:
        """``GET /v2/statistics/inbound``: as `userbased`, with ``queueId`` for ``userId``."""
        params = options.period(start, end, dimensions)
        return self._statistics("inbound", options.INBOUND, params, wide, frame, option)

    def kpis(self, start: date, end: date, dimensions: str | Iterable[str],
             kpis: str | Iterable[str], *, wide: bool = False, frame: str = "pandas",
             **option: Value) -> DataFrame:
        """``GET /v2/statistics/kpis`` for the KPIs `kpis` (all of one source): the
        dimension columns, ``level``, ``kpi``, ``value`` (null when the denominator
        is 0), ``numerator``, ``denominator``."""
        params = {**options.period(start, end, dimensions), "kpis": options.text("kpis", kpis)}
        return self._statistics("kpis", options.KPIS, params, wide, frame, option)

    def _statistics(self, resource: str, allowed: frozenset[str], params: dict[str, str],
                    wide: bool, kind: str, option: dict[str, Value]) -> DataFrame:
        params = {**params, **options.query(resource, allowed, option), "of": "csv"}
        checked = _kind(kind)
        with self._connection.stream(f"/v2/statistics/{resource}", params) as answer:
            table = read_csv(answer.iter_bytes())
        return frame(widen(table) if wide else table, checked)

    # real time ----------------------------------------------------------------------------
    def onlineusers(self, *, frame: str = "pandas", **option: Value) -> DataFrame:
        """``GET /v2/onlineusers``: one row per user online now (``call`` flattened into
        ``callDirection``, ``callSince``, ``callAnswered``, ``callQueueId``)."""
        return self._realtime("/v2/onlineusers", options.ONLINE_USERS, frame, option)

    def realtime_queues(self, *, frame: str = "pandas", **option: Value) -> DataFrame:
        """``GET /v2/realtime/queues``: one row per queue busy now or today."""
        return self._realtime("/v2/realtime/queues", options.REALTIME_QUEUES, frame, option)

    def _realtime(self, path: str, allowed: frozenset[str], kind: str,
                  option: dict[str, Value]) -> DataFrame:
        params = {**options.query(path, allowed, option), "of": "csv"}
        checked = _kind(kind)
        with self._connection.stream(path, params) as answer:
            table = read_csv(answer.iter_bytes(), free_text=True)
        return frame(table, checked)

    def stream(self, *, frame: str = "pandas", idle_timeout: float | None = None,
               **option: Value) -> Generator[Snapshot, None, None]:
        """``GET /v2/realtime/stream``: a `Snapshot` now, then one after each change (at
        most one a second), until the server ends the stream (it stops, the key is
        revoked, or this client read too slowly) or the caller stops iterating (or
        calls ``close()`` on it, which closes the connection).

        `idle_timeout`: seconds without even a keep-alive (every 15 s by default)
        after which the connection is taken for dead (`Unreachable`); ``None``
        waits for ever.
        """
        params = options.query("/v2/realtime/stream", options.STREAM, option)
        checked = _kind(frame)
        timeout = httpx.Timeout(self._connection.timeout, read=idle_timeout)
        return self._snapshots(params, checked, timeout)

    def _snapshots(self, params: dict[str, str], kind: FrameKind, timeout: httpx.Timeout
                   ) -> Generator[Snapshot, None, None]:
        with self._connection.stream("/v2/realtime/stream", params, timeout) as answer:
            for data in snapshot_data(answer.iter_lines()):
                yield snapshot(data, kind)

    # events -----------------------------------------------------------------------------
    def send_events(self, events: Iterable[Event], batch_size: int = 1000) -> int:
        """Store events (mappings, or JSON text of one event each) in batches of
        `batch_size`, each atomic; the number of events stored. A refused batch raises
        `EventsRefused` (the batches before it are stored)."""
        return send(self._connection, events, batch_size)
