"""A Python client of the ccstats HTTP API that answers pandas (or polars) DataFrames.

>>> from datetime import date
>>> from ccstats.client import Client
>>> with Client("http://127.0.0.1:8000", "acme", "KEY") as api:
...     frame = api.userbased(date(2024, 5, 1), date(2024, 5, 31), ["user", "date"],
...                           fields=["callInAnswered", "userstateCall"])

Install with ``pip install 'ccstats[client]'`` (pandas) or ``'ccstats[polars]'``.
See docs/client.md. Modules: `connection` (HTTP, envelope, retries), `options`
(each resource's options), `columns` and `frames` (the csv answer read as it
arrives into typed Arrow, then a frame), `wide` (one row per record), `events`
(sending in batches), `realtime` (the stream's snapshots), `errors`.
"""

from ccstats.client.client import Client
from ccstats.client.errors import (
    ApiError,
    ApiFailure,
    ClientError,
    EventsRefused,
    RetriesExhausted,
    UnknownOption,
    Unreachable,
)
from ccstats.client.realtime import Snapshot

__all__ = ["ApiError", "ApiFailure", "Client", "ClientError", "EventsRefused",
           "RetriesExhausted", "Snapshot", "UnknownOption", "Unreachable"]
