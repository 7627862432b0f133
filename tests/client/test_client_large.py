"""A statistics answer large enough that the server streams it (over 4 MiB, chunked): the
client reads it as it arrives into the same frame as the csv."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest

from api.conftest import Launcher
from ccstats.client import Client
from client.conftest import CUSTOMER, PASSWORD

USERS, DAYS = 130, 8
START = dt.date(2022, 3, 1)


@pytest.fixture(scope="module")
def busy(launch: Launcher) -> Iterator[tuple[str, Client]]:
    """A server where USERS agents were available all day for DAYS days (UTC): its URL
    and a client of it."""
    url = launch([(CUSTOMER, "UTC", PASSWORD)], {}, [])
    with Client(url, CUSTOMER, PASSWORD) as api:
        base = int(dt.datetime(2022, 3, 1, tzinfo=dt.UTC).timestamp())
        events = ({"id": f"a{user}-{day}", "type": "userstate", "state": "available",
                   "projectId": 1, "userId": user, "start": base + day * 86400,
                   "end": base + (day + 1) * 86400}
                  for user in range(1, USERS + 1) for day in range(DAYS))
        assert api.send_events(events, batch_size=500) == USERS * DAYS
        yield url, api


def test_a_streamed_answer_reads_whole(busy: tuple[str, Client]) -> None:
    url, api = busy
    end = START + dt.timedelta(days=DAYS - 1)
    options = {"from": START.strftime("%Y%m%d"), "to": end.strftime("%Y%m%d"),
               "dimensions": "user,date,time", "interval": "15", "of": "csv"}
    with httpx.stream("GET", f"{url}/v2/statistics/userbased", params=options,
                      auth=(CUSTOMER, PASSWORD), timeout=120) as answer:
        assert answer.status_code == 200
        assert "content-length" not in answer.headers  # streamed, not sent whole
        size = sum(len(chunk) for chunk in answer.iter_bytes())
    assert size > 4 << 20
    found = api.userbased(START, end, "user,date,time", interval=15)
    slots = USERS * DAYS * 96
    assert len(found) == slots
    assert found["sum"].sum() == USERS * DAYS * 86400 and (found["sum"] == 900).all()
    assert found["time"].iloc[95] == dt.time(23, 45)
    assert found["userId"].nunique() == USERS and found["date"].nunique() == DAYS
