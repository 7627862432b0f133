"""How long the client waits before a retry, and a server that cannot be reached."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime

import pytest

from api.conftest import free_port
from ccstats.client import Client, Unreachable
from ccstats.client.connection import DEFAULT_WAIT, LONGEST_WAIT, retry_after


@pytest.mark.parametrize(("header", "seconds"), [
    ("3", 3.0), (" 0 ", 0.0), ("86400", LONGEST_WAIT), (None, DEFAULT_WAIT),
    ("soon", DEFAULT_WAIT), ("-1", DEFAULT_WAIT), ("1.5", DEFAULT_WAIT),
    (format_datetime(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), usegmt=True), 0.0),
])
def test_retry_after_in_seconds(header: str | None, seconds: float) -> None:
    assert retry_after(header) == seconds


def test_retry_after_as_an_http_date() -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=20)
    assert 15 <= retry_after(format_datetime(later, usegmt=True)) <= 20


def test_a_server_that_cannot_be_reached() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with Client(url, "mycc", "key") as api, pytest.raises(Unreachable, match=url):
        api.realtime_queues()
