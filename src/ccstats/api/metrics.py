"""Prometheus metrics of one server process, served at ``/metrics``.

Labels never name a customer (the endpoint needs no key, and customers must not
learn of each other), and each has a bounded set of values, so that no client can
make the series grow: routes are the path templates (ids do not multiply series;
paths of no route are ``unmatched``), methods other than HTTP's own are counted
as ``other``, statuses are three-digit codes.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

#: The methods of HTTP (RFC 9110 and PATCH), counted under their own names.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE",
                     "PATCH"})

#: Seconds: from 1 ms to 30 s.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0, 30.0)


class Metrics:
    """Request counts and latencies, events stored and pruned, and the real-time streams."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "ccstats_requests", "HTTP requests answered", ["method", "route", "status"],
            registry=self.registry)
        self._latency = Histogram(
            "ccstats_request_duration_seconds", "Time to answer a request (until the last "
            "byte of the body)", ["route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self._events = Counter("ccstats_events_stored", "Events stored by POST /v2/events",
                               registry=self.registry)
        self._streams = Gauge("ccstats_streams_open", "Open GET /v2/realtime/stream responses",
                              registry=self.registry)
        self._streams_ended = Counter(
            "ccstats_streams_ended", "Real-time streams ended, by why: left (the client went), "
            "revoked (the key), slow (the client did not read), stopping (the server)",
            ["why"], registry=self.registry)
        self._pruned = Counter(
            "ccstats_pruned_events", "Events removed by the server's schedule of pruning "
            "(serve --prune-every), as customers' retention ran out", registry=self.registry)

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count a request; `route` is a path template (or ``unmatched``)."""
        self._requests.labels(method if method in METHODS else "other", route,
                              str(status) if 100 <= status <= 599 else "other").inc()
        self._latency.labels(route).observe(seconds)

    def events_stored(self, count: int) -> None:
        self._events.inc(count)

    def events_pruned(self, count: int) -> None:
        self._pruned.inc(count)

    def stream_opened(self) -> None:
        self._streams.inc()

    def stream_closed(self, why: str) -> None:
        """Count a stream's end; `why` is one of `ccstats.api.stream.Ending`'s values."""
        self._streams.dec()
        self._streams_ended.labels(why).inc()

    def exposition(self) -> bytes:
        """The metrics in the Prometheus text format."""
        return generate_latest(self.registry)
