"""Retention (`ccstats.retention`, `Service.prune`) on a real store.

For random events in zones with DST changes (and one a quarter-hour off the hour), a
random retention and a random "today": after pruning, every answer for a day kept
is the answer before, earlier days answer nothing, and exactly the events that
ended before the cutoff (or are open and started before it) are gone. The cutoff is
computed here on its own, by walking quarter-hours to the first one of the day.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backends import ON_CLICKHOUSE, drop_database
from ccstats import retention
from ccstats.api.metrics import Metrics
from ccstats.api.pruning import PruneSchedule
from ccstats.kpis import FORMULAS, Source
from ccstats.query import Endpoint
from ccstats.service import Service
from conftest import Event, call, chat, ndjson, point, queue_call, userstate

ZONES = ("Europe/Budapest", "America/St_Johns", "Asia/Kathmandu")
DAY = 86_400
#: "Today" falls between these, across both DST changes of the zones in 2024.
FIRST_NOW = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())
LAST_NOW = int(datetime(2024, 11, 20, tzinfo=UTC).timestamp())
#: The events lie within this many days before "today" (and one after).
SPREAD_DAYS = 9

#: (type, sub-type) of the point events drawn.
POINTS = (("disposition", "success"), ("email", "sent"), ("ticket", "created"))

_names = itertools.count()


def first_instant(zone: str, day: date) -> int:
    """The first quarter-hour (epoch seconds) whose local date is `day` or later, found by
    walking from a day before."""
    tz = ZoneInfo(zone)
    moment = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) - 2 * DAY
    while datetime.fromtimestamp(moment, tz).date() < day:
        moment += 900
    return moment


@st.composite
def events(draw: st.DrawFn, now: int, cutoff: int) -> list[Event]:
    """Up to 25 events of every kind in the days before `now`, many close to `cutoff`,
    some open, some up to a day long."""
    found: list[Event] = []
    near = st.sampled_from([-900, -1, 0, 1, 899, 900]) | st.integers(-3 * 3600, 3 * 3600)
    for n in range(draw(st.integers(1, 25))):
        start = (now - draw(st.integers(-DAY, SPREAD_DAYS * DAY)) if draw(st.booleans())
                 else cutoff + draw(near))
        end: int | None = start + draw(st.sampled_from([0, 60, 899, 900, 3600]) |
                                       st.integers(0, DAY))
        if draw(st.integers(0, 7)) == 0:
            end = None
        answer = None if end is None or draw(st.booleans()) else (
            draw(st.integers(start, end)))
        kind = draw(st.sampled_from(["userstate", "call", "chat", "point", "queuecall"]))
        user, event_id = draw(st.integers(1, 3)), f"e{n}"
        if kind == "userstate":
            found.append(userstate(event_id, draw(st.sampled_from(["available", "break"])),
                                   start, end, user=user))
        elif kind == "call":
            found.append(call(event_id, draw(st.sampled_from(["in", "out"])), start, answer,
                              end, user=user))
        elif kind == "chat":
            found.append(chat(event_id, start, end, user=user))
        elif kind == "point":
            point_type, subtype = draw(st.sampled_from(POINTS))
            found.append(point(event_id, point_type, subtype, start, user=user))
        else:
            found.append(queue_call(event_id, draw(st.integers(1, 2)), start, answer, end,
                                    user=user))
    return found


def _ends(event: Event) -> tuple[int, int | None]:
    """(start, end) of an event as stored (a point event ends when it starts)."""
    if "time" in event:
        return event["time"], event["time"]
    return event["start"], event["end"]


def removed_by(cutoff: int, stored: list[Event]) -> int:
    """The events that go: ended before `cutoff`, or open and started before it."""
    return sum(1 for start, end in map(_ends, stored)
               if (end is not None and end < cutoff) or (end is None and start < cutoff))


def answers(service: Service, name: str, first: date, last: date) -> dict[str, list[Any]]:
    """Every answer the test compares: the sums at each grain, queue calls and KPIs."""
    span = {"from": first.strftime("%Y%m%d"), "to": last.strftime("%Y%m%d")}
    asked: Mapping[str, tuple[dict[str, str], Endpoint]] = {
        "days": ({"dimensions": "date,user"}, Endpoint.USERBASED),
        "hours": ({"dimensions": "date,time"}, Endpoint.USERBASED),
        "quarters": ({"dimensions": "date,time", "interval": "15"}, Endpoint.USERBASED),
        "inbound": ({"dimensions": "date,queue"}, Endpoint.INBOUND),
        **{f"kpis of {source}": ({"dimensions": "date", "kpis": ",".join(
            f.name for f in FORMULAS if f.source is source)}, Endpoint.KPIS)
           for source in Source},
    }
    found = {}
    for label, (params, endpoint) in asked.items():
        document = orjson.loads(service.query(name, {**span, **params}, endpoint))
        assert document["errors"] == []
        found[label] = document["response"]
    return found


def _on_or_after(records: list[dict[str, Any]], day: date) -> list[dict[str, Any]]:
    return [r for r in records if r["date"] >= day.isoformat()]


def _has_data(record: dict[str, Any]) -> bool:
    """Whether a record says anything (KPI records list every KPI, null when unknown)."""
    return any(item.get("count") or item.get("sum") or item.get("value")
               or item.get("numerator") or item.get("denominator")
               for item in record.get("data", []))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.data(), zone=st.sampled_from(ZONES), keep_days=st.integers(1, SPREAD_DAYS),
       now=st.integers(FIRST_NOW, LAST_NOW), compact=st.booleans())
def test_pruning_keeps_the_answers_of_the_days_kept(
        service: Service, data: st.DataObject, zone: str, keep_days: int, now: int,
        compact: bool) -> None:
    name = f"r{next(_names)}"
    service.create_customer(name, zone, "pw")
    today = datetime.fromtimestamp(now, ZoneInfo(zone)).date()
    first_kept = today - timedelta(days=keep_days)
    cutoff = first_instant(zone, first_kept)
    stored = data.draw(events(now, cutoff))
    service.ingest(name, ndjson(*stored))
    service.set_access(name, keep_days=keep_days)
    span = (today - timedelta(days=SPREAD_DAYS + 2), today + timedelta(days=3))
    before = answers(service, name, *span)
    count = service.event_count(name)

    [pruned] = service.prune(name, now=now)

    assert pruned == retention.Pruned(name, keep_days, first_kept, removed_by(cutoff, stored))
    assert service.event_count(name) == count - pruned.events
    if compact:
        service.compact()
    after = answers(service, name, *span)
    for label, records in after.items():
        assert _on_or_after(records, first_kept) == _on_or_after(before[label], first_kept), label
        assert not [r for r in records if r["date"] < first_kept.isoformat() and _has_data(r)]
    # a second prune on the same day finds nothing more
    assert service.prune(name, now=now)[0].events == 0
    assert answers(service, name, *span) == after


@given(zone=st.sampled_from((*ZONES, "America/Santiago", "Asia/Beirut", "Pacific/Apia")),
       keep_days=st.integers(1, 400), now=st.integers(FIRST_NOW - 400 * DAY, LAST_NOW))
def test_the_cutoff_is_the_first_instant_of_the_first_day_kept(zone: str, keep_days: int,
                                                                now: int) -> None:
    cut = retention.cutoff(zone, keep_days, now)
    today = datetime.fromtimestamp(now, ZoneInfo(zone)).date()
    assert cut.day == today - timedelta(days=keep_days)
    assert cut.moment == first_instant(zone, cut.day)


def test_a_skipped_midnight_starts_the_day_when_the_clocks_jump() -> None:
    # Santiago went from 00:00 (UTC-4) to 01:00 (UTC-3) on 8 September 2024
    now = int(datetime(2024, 9, 9, 12, tzinfo=UTC).timestamp())
    cut = retention.cutoff("America/Santiago", 1, now)
    assert cut.day == date(2024, 9, 8)
    assert cut.moment == int(datetime(2024, 9, 8, 4, tzinfo=UTC).timestamp())


def test_only_customers_with_a_retention_are_pruned(service: Service) -> None:
    now = int(datetime(2024, 6, 10, 12, tzinfo=UTC).timestamp())
    old = ndjson(userstate("old", "available", now - 5 * DAY, now - 5 * DAY + 60))
    for name in ("keeper", "forever"):
        service.create_customer(name, "UTC", "pw")
        service.ingest(name, old)
    service.set_access("keeper", keep_days=2)
    assert service.prune(now=now) == [retention.Pruned("keeper", 2, date(2024, 6, 8), 1)]
    assert service.event_count("forever") == 1
    assert service.prune("forever", now=now) == [retention.Pruned("forever", None, None, 0)]
    assert service.event_count("forever") == 1


def test_a_rebuild_brings_back_no_pruned_day(service: Service) -> None:
    """An event that straddles the cutoff keeps feeding the days kept, and a rebuild
    (which prunes again, on the clock) brings back none of its earlier days."""
    service.create_customer("acme", "UTC", "pw")
    today = datetime.now(UTC).date()
    midnight = int(datetime(today.year, today.month, today.day, tzinfo=UTC).timestamp())
    service.ingest("acme", ndjson(
        userstate("long", "available", midnight - 2 * DAY - 3600, midnight - 2 * DAY + 7200),
        userstate("gone", "break", midnight - 4 * DAY, midnight - 4 * DAY + 600)))
    span = (today - timedelta(days=5), today)
    before = answers(service, "acme", *span)
    service.set_access("acme", keep_days=2)
    [pruned] = service.prune("acme", now=int(time.time()))
    assert pruned.events == 1 and pruned.kept_from == today - timedelta(days=2)
    after = answers(service, "acme", *span)
    service.rebuild("acme")
    assert answers(service, "acme", *span) == after
    service.rebuild()
    assert answers(service, "acme", *span) == after
    assert {r["date"] for r in after["days"]} == {pruned.kept_from.isoformat()}
    assert _on_or_after(before["days"], pruned.kept_from) == after["days"]


@pytest.mark.skipif(not ON_CLICKHOUSE, reason="the batches of ClickHouse")
def test_on_clickhouse_a_prune_with_nothing_to_remove_commits_no_batch(
        service: Service) -> None:
    service.create_customer("acme", "UTC", "pw")
    now = int(datetime(2024, 6, 10, 12, tzinfo=UTC).timestamp())
    service.ingest("acme", ndjson(userstate("new", "available", now - 60, now)))
    service.set_access("acme", keep_days=1)
    mark = service.change_mark("acme")
    assert service.prune("acme", now=now)[0].events == 0
    assert service.change_mark("acme") == mark


def test_the_schedule_prunes_again_and_again_and_logs_each_customer(
        service: Service, caplog: pytest.LogCaptureFixture) -> None:
    service.create_customer("acme", "UTC", "pw")
    service.set_access("acme", keep_days=1)
    metrics = Metrics()
    old = int(time.time()) - 5 * DAY
    with caplog.at_level(logging.INFO, "ccstats.retention"), \
            PruneSchedule(service, metrics, every=0.1, first_delay=0):
        for n in range(3):
            service.ingest("acme", ndjson(userstate(f"old{n}", "available", old, old + 60)))
            deadline = time.monotonic() + 60
            while service.event_count("acme"):
                assert time.monotonic() < deadline
                time.sleep(0.05)
    lines = [orjson.loads(record.getMessage()) for record in caplog.records]
    assert sum(line["events"] for line in lines) == 3
    assert {(line["event"], line["customer"]) for line in lines} == {("prune", "acme")}
    assert b"ccstats_pruned_events_total 3.0" in metrics.exposition()


def test_a_failed_run_is_logged_and_ends_nothing(url: str,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    service = Service.open(url)
    service.create_customer("acme", "UTC", "pw")
    service.set_access("acme", keep_days=1)
    if ON_CLICKHOUSE:  # the store is gone: every run fails
        drop_database(url)
    else:
        service.close()
    with caplog.at_level(logging.INFO, "ccstats.retention"):
        PruneSchedule(service, Metrics(), every=1).run_once()
    if ON_CLICKHOUSE:
        service.close()
    [line] = [orjson.loads(record.getMessage()) for record in caplog.records]
    assert line["event"] == "prune" and line["error"] and "events" not in line
