"""`ccstats export`: a customer's current events as NDJSON that `ccstats import` takes back.

The round trip: random events of every type (the oracle tests' generators: near DST
changes and local midnights of zones with half-hour and quarter-hour offsets, open
intervals, unanswered calls and queue calls), stored in batches that replace and
repeat ids, with deletions, are exported; the export holds exactly the events that
should be stored (by the oracle's account), and imported into a fresh customer of the
same store and of another store file, it gives byte for byte the answers of the
original to userbased (every field, several dimensions, json and csv), inbound, kpis
and the real-time resources, and exports again to the same bytes.

The export holds events only: the metadata (names and states of projects, users and
queues) is copied into the fresh customers first, as the real-time answers name users
and queues, and a user or project registered by an event that was replaced since is
metadata of the original only.
"""

from __future__ import annotations

import io
import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from backends import drop_database, new_database
from ccstats.errors import InvalidRequest
from ccstats.query import Endpoint
from ccstats.service import Service
from conftest import call, chat, ndjson, point, queue_call, userstate
from inbound_oracle import KPIS
from oracle import Event, Op, apply_ops, parse_timestamp
from test_inbound_oracle import queue_calls
from test_oracle import ANCHORS, BUSY_ZONES, ID_POOL, event_bodies

_customer_numbers = itertools.count(1)
#: Every userbased answer is asked with each of these dimensions.
USERBASED_DIMENSIONS = ("project,user,date,time", "user", "date,time", "time,project")
INBOUND_DIMENSIONS = ("project,queue,date,time", "queue", "date")
USERBASED_KPIS = ",".join(name for name, kpi in KPIS.items() if kpi.source == "userbased")
INBOUND_KPIS = ",".join(name for name, kpi in KPIS.items() if kpi.source == "inbound")
#: Members an exported line of each type has, in order.
MEMBERS = {
    "userstate": ["id", "type", "state", "projectId", "userId", "start", "end"],
    "call": ["id", "type", "direction", "projectId", "userId", "start", "answer", "end"],
    "chat": ["id", "type", "projectId", "userId", "start", "end"],
    "queuecall": ["id", "type", "projectId", "userId", "queueId", "start", "answer", "end"],
    "disposition": ["id", "type", "status", "projectId", "userId", "time"],
    "email": ["id", "type", "direction", "projectId", "userId", "time"],
    "ticket": ["id", "type", "action", "projectId", "userId", "time"],
}
TIMES = ("start", "answer", "end", "time")
#: Examples of each property test (`CCSTATS_EXPORT_EXAMPLES`).
#: A real-time answer without records.
EMPTY = b'"response":[]'
EXAMPLES = int(os.environ.get("CCSTATS_EXPORT_EXAMPLES", "30"))


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, Service]]:
    """Two stores (DuckDB files, or ClickHouse databases: `backends.py`)."""
    folder = tmp_path_factory.mktemp("export")
    urls = [new_database(folder, "a"), new_database(folder, "b")]
    services = [Service.open(url) for url in urls]
    try:
        yield services[0], services[1]
    finally:
        for service, url in zip(services, urls, strict=True):
            service.close()
            drop_database(url)


def exported(service: Service, customer: str, date_from: str | None = None,
             date_to: str | None = None) -> bytes:
    out = io.BytesIO()
    written = service.export_events(customer, out, date_from, date_to)
    assert out.getvalue().count(b"\n") == written
    return out.getvalue()


def new_customer(service: Service, zone: str) -> str:
    name = f"c{next(_customer_numbers)}"
    service.create_customer(name, zone, "secret")
    return name


def copy_metadata(source: Service, customer: str, target: Service, into: str) -> None:
    for project in source.projects(customer):
        target.create_project(into, project)
    for user in source.users(customer):
        target.create_user(into, user)
    for queue in source.queues(customer):
        target.create_queue(into, queue)


def import_file(service: Service, customer: str, data: bytes, folder: Path) -> None:
    """`ccstats import` of `data` (through the command's own service call)."""
    path = folder / f"{customer}.ndjson"
    path.write_bytes(data)
    report = service.import_files(customer, [path])
    assert not report.rejected
    assert report.stored == data.count(b"\n")


# --------------------------------------------------------------------------- the events


def _normalized(event: Event) -> Event:
    """An event as an export writes it: the members of its type, times as UTC text."""
    line = {member: event.get(member) for member in MEMBERS[event["type"]]}
    for member in TIMES:
        if line.get(member) is not None:
            instant = datetime.fromtimestamp(parse_timestamp(line[member]), UTC)
            line[member] = instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    return line


def check_lines(data: bytes, stored: dict[str, Event]) -> None:
    """`data` holds one line per event of `stored`, in the form of `_normalized`."""
    lines = [orjson.loads(line) for line in data.splitlines()]
    assert all(list(line) == MEMBERS[line["type"]] for line in lines)
    assert sorted(line["id"] for line in lines) == sorted(stored)
    for line in lines:
        assert line == _normalized(stored[line["id"]])


# --------------------------------------------------------------------------- the answers


def _local_days(zone: str, events: Iterator[Event]) -> tuple[date, date]:
    tz = ZoneInfo(zone)
    days = sorted(datetime.fromtimestamp(parse_timestamp(event[member]), tz).date()
                  for event in events for member in TIMES if event.get(member) is not None)
    return (days[0] - timedelta(days=1), days[-1] + timedelta(days=1)) if days else (
        date(2024, 1, 1), date(2024, 1, 2))


def statistics(service: Service, customer: str, days: tuple[date, date]) -> list[bytes]:
    """The answers of every statistics resource over `days` (several dimensions,
    formats and intervals)."""
    span = {"from": f"{days[0]:%Y%m%d}", "to": f"{days[1]:%Y%m%d}"}
    asked: list[tuple[Endpoint, dict[str, str]]] = []
    for dimensions, fmt in itertools.product(USERBASED_DIMENSIONS, ("json", "csv")):
        asked.append((Endpoint.USERBASED, {"dimensions": dimensions, "of": fmt}))
        asked.append((Endpoint.KPIS, {"dimensions": dimensions, "of": fmt,
                                      "kpis": USERBASED_KPIS}))
    asked.append((Endpoint.USERBASED, {"dimensions": "user,time", "interval": "15",
                                       "timezone": "Asia/Kathmandu"}))
    for dimensions in INBOUND_DIMENSIONS:
        asked.append((Endpoint.INBOUND, {"dimensions": dimensions}))
        asked.append((Endpoint.KPIS, {"dimensions": dimensions, "kpis": INBOUND_KPIS,
                                      "manual_sla": "20"}))
    asked.append((Endpoint.INBOUND, {"dimensions": "date,time", "interval": "30",
                                     "of": "tab"}))
    return [service.query(customer, span | params, endpoint) for endpoint, params in asked]


def realtime(service: Service, customer: str, moments: list[int]) -> list[bytes]:
    """The real-time answers at each of `moments`."""
    found = []
    for now in moments:
        found.append(service.online_users(customer, {}, now=now).body)
        found.append(service.online_users(customer, {"of": "csv"}, now=now).body)
        found.append(service.realtime_queues(customer, {"manual_sla": "20"}, now=now).body)
    return found


# --------------------------------------------------------------------------- round trip


@st.composite
def histories(draw: st.DrawFn) -> tuple[str, list[Op]]:
    """A customer zone and a sequence of batches (random events of every type, ids from
    a small pool: replaced, repeated within a batch, re-sent) and deletions."""
    zone = draw(st.sampled_from(BUSY_ZONES))
    anchors = ANCHORS[zone]
    first = draw(st.sampled_from(anchors))
    near = tuple(a for a in anchors if abs(a - first) < 100 * 86_400)
    ops: list[Op] = []
    for _ in range(draw(st.integers(1, 6))):
        if ops and draw(st.integers(0, 3)) == 0:
            ops.append(("delete", draw(st.sampled_from(ID_POOL))))
            continue
        for _ in range(draw(st.integers(1, 8))):
            event_id = draw(st.sampled_from(ID_POOL))
            if draw(st.integers(0, 2)) == 0:
                ops.append(("put", draw(queue_calls(near, event_id))))
            else:
                ops.append(("put", draw(event_bodies(near, event_id))))
        ops.append(("delete", ""))  # the end of a batch
    return zone, ops


def store_history(service: Service, customer: str, ops: list[Op]) -> None:
    batch: list[Event] = []
    for op in ops:
        if op[0] == "put":
            batch.append(op[1])
        elif op[1] == "":
            note(f"ingest {ndjson(*batch).decode()}")
            service.ingest(customer, ndjson(*batch))
            batch = []
        else:
            note(f"delete {op[1]}")
            service.delete_event(customer, op[1])


def _moments(stored: dict[str, Event]) -> list[int]:
    """Moments at which the real-time answers hold some of `stored`: just after the starts
    of some open intervals, and after the last start (queue calls of the last day)."""
    opened = sorted(parse_timestamp(e["start"]) for e in stored.values()
                    if "end" in e and e["end"] is None)
    starts = [parse_timestamp(e.get("start", e.get("time"))) for e in stored.values()]
    return [*(start + 1 for start in opened[:3]), max(starts, default=0) + 600]


@settings(deadline=None, max_examples=EXAMPLES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(history=histories())
def test_round_trip_gives_the_same_answers(stores: tuple[Service, Service],
                                           tmp_path: Path,
                                           history: tuple[str, list[Op]]) -> None:
    here, other = stores
    zone, ops = history
    customer = new_customer(here, zone)
    store_history(here, customer, ops)
    stored = apply_ops(op for op in ops if op != ("delete", ""))
    data = exported(here, customer)
    check_lines(data, stored)
    event(f"open intervals: {any(e.get('end', 0) is None for e in stored.values())}")
    event(f"queue calls: {any(e['type'] == 'queuecall' for e in stored.values())}")

    days = _local_days(zone, iter(stored.values()))
    moments = _moments(stored)
    expected = statistics(here, customer, days), realtime(here, customer, moments)
    for target in (here, other):
        again = new_customer(target, zone)
        copy_metadata(here, customer, target, again)
        import_file(target, again, data, tmp_path)
        assert statistics(target, again, days) == expected[0]
        assert realtime(target, again, moments) == expected[1]
        assert exported(target, again) == data
    event(f"users online: {any(EMPTY not in body for body in expected[1][::3])}")
    event(f"queue calls live: {any(EMPTY not in body for body in expected[1][2::3])}")


# --------------------------------------------------------------------------- from and to


@st.composite
def dated_histories(draw: st.DrawFn) -> tuple[str, list[Event], date, date]:
    """Events around the local midnights and DST changes of a zone, and a range of days."""
    zone = draw(st.sampled_from((*BUSY_ZONES, "America/Santiago")))
    anchors = ANCHORS.get(zone) or _santiago_midnights()
    first = draw(st.sampled_from(anchors))
    near = tuple(a for a in anchors if abs(a - first) < 10 * 86_400)
    events = {}
    for number in range(draw(st.integers(1, 15))):
        event_id = f"e{number}"
        if draw(st.booleans()):
            event = draw(queue_calls(near, event_id))
        else:
            event = draw(event_bodies(near, event_id))
        events[event_id] = event
    days = _local_days(zone, iter(events.values()))
    span = (days[1] - days[0]).days
    date_from = days[0] + timedelta(days=draw(st.integers(0, span)))
    date_to = date_from + timedelta(days=draw(st.integers(0, (days[1] - date_from).days)))
    return zone, list(events.values()), date_from, date_to


def _santiago_midnights() -> tuple[int, ...]:
    """Instants about the days on which Santiago's clocks skip or repeat midnight."""
    tz = ZoneInfo("America/Santiago")
    days = (date(2024, 4, 6), date(2024, 4, 7), date(2024, 9, 7), date(2024, 9, 8))
    return tuple(int(datetime(d.year, d.month, d.day, 12, tzinfo=tz).timestamp()) - 12 * 3600
                 for d in days)


def _local_date(zone: str, event: Event) -> date:
    instant = parse_timestamp(event.get("start", event.get("time")))
    return datetime.fromtimestamp(instant, ZoneInfo(zone)).date()


@settings(deadline=None, max_examples=EXAMPLES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(history=dated_histories(), which=st.sampled_from(["both", "from", "to"]))
def test_from_and_to_keep_the_events_starting_on_those_local_dates(
        stores: tuple[Service, Service], history: tuple[str, list[Event], date, date],
        which: str) -> None:
    service = stores[0]
    zone, events, first, last = history
    customer = new_customer(service, zone)
    service.ingest(customer, ndjson(*events))
    date_from = None if which == "to" else f"{first:%Y%m%d}"
    date_to = None if which == "from" else f"{last:%Y%m%d}"
    low = first if date_from else date.min
    high = last if date_to else date.max
    wanted = {e["id"]: e for e in events if low <= _local_date(zone, e) <= high}
    check_lines(exported(service, customer, date_from, date_to), wanted)


def test_from_and_to_split_at_local_midnight(service: Service) -> None:
    """Budapest on the day clocks go back (25 hours) and Santiago on the day midnight is
    skipped: an event at the first second of a day is of that day, one a second
    earlier of the day before."""
    cases = {
        "Europe/Budapest": ("20241027", datetime(2024, 10, 27, tzinfo=ZoneInfo("Europe/Budapest")),
                            datetime(2024, 10, 28, tzinfo=ZoneInfo("Europe/Budapest"))),
        # 2024-09-08 begins at 01:00 (-03); 2024-09-07 ended at 24:00 (-04).
        "America/Santiago": ("20240908", datetime(2024, 9, 8, 4, tzinfo=UTC),
                             datetime(2024, 9, 9, 3, tzinfo=UTC)),
    }
    for zone, (day, begins, ends) in cases.items():
        customer = new_customer(service, zone)
        start, stop = int(begins.timestamp()), int(ends.timestamp())
        service.ingest(customer, ndjson(
            userstate("before", "break", start - 1, start + 60),
            call("first", "in", start, start, start + 5),
            point("last", "ticket", "created", stop - 1),
            chat("next", stop, None),
            queue_call("nextq", 1, stop, None, stop + 9),
        ))
        ids = [orjson.loads(line)["id"]
               for line in exported(service, customer, day, day).splitlines()]
        assert sorted(ids) == ["first", "last"], zone
        ids = [orjson.loads(line)["id"]
               for line in exported(service, customer, day).splitlines()]
        assert sorted(ids) == ["first", "last", "next", "nextq"], zone


def test_a_customer_without_events_exports_nothing(service: Service, customer: str) -> None:
    assert exported(service, customer) == b""
    service.ingest(customer, ndjson(chat("x", 1_700_000_000, 1_700_000_060)))
    assert service.delete_event(customer, "x")
    assert exported(service, customer) == b""


def test_bad_dates_and_unknown_customers_are_refused(service: Service, customer: str) -> None:
    for date_from, date_to in (("2024-01-01", None), (None, "20240230"), ("20240302", "20240301")):
        with pytest.raises(InvalidRequest):
            service.export_events(customer, io.BytesIO(), date_from, date_to)
    with pytest.raises(Exception, match="unknown customer"):
        service.export_events("nobody", io.BytesIO())


# --------------------------------------------------------------------------- the command


def _ccstats(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run the installed command (it imports the sources PYTHONPATH names)."""
    command = Path(sys.executable).parent / "ccstats"
    return subprocess.run([str(command), *args], capture_output=True, check=False)


def test_the_command_exports_to_a_file_and_to_stdout(url: str, tmp_path: Path) -> None:
    service = Service.open(url)
    try:
        service.create_customer("acme", "Europe/Budapest", "pw")
        service.create_customer("again", "Europe/Budapest", "pw")
        service.ingest("acme", ndjson(
            userstate("u", "available", "2024-10-26T23:30:00+02:00", None),
            call("c", "out", 1729980000, 1729980010.5, 1729980100),
            queue_call("q", 2, 1729980000, None, None),
        ))
    finally:
        service.close()
    path = tmp_path / "acme.ndjson"
    done = _ccstats("export", "--db", url, "--customer", "acme", "--from", "20241026",
                    "--output", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == b""
    assert b"exported 3 events" in done.stderr
    assert path.read_bytes() == (
        b'{"id":"u","type":"userstate","state":"available","projectId":1,"userId":1,'
        b'"start":"2024-10-26T21:30:00Z","end":null}\n'
        b'{"id":"c","type":"call","direction":"out","projectId":1,"userId":1,'
        b'"start":"2024-10-26T22:00:00Z","answer":"2024-10-26T22:00:10Z",'
        b'"end":"2024-10-26T22:01:40Z"}\n'
        b'{"id":"q","type":"queuecall","projectId":1,"userId":null,"queueId":2,'
        b'"start":"2024-10-26T22:00:00Z","answer":null,"end":null}\n')
    done = _ccstats("--db", url, "import", str(path), "--customer", "again")
    assert done.returncode == 0, done.stderr
    done = _ccstats("--db", url, "export", "--customer", "again")
    assert done.returncode == 0, done.stderr
    assert done.stdout == path.read_bytes()
    # u starts at 23:30 on the 26th, local time; c and q at midnight.
    done = _ccstats("--db", url, "export", "--customer", "acme", "--to", "20241026")
    assert (done.returncode, done.stdout) == (0, path.read_bytes().splitlines(True)[0])
    done = _ccstats("--db", url, "export", "--customer", "acme", "--from", "20241027")
    assert (done.returncode, done.stdout) == (0, b"".join(path.read_bytes().splitlines(True)[1:]))
    refused = tmp_path / "refused.ndjson"
    done = _ccstats("export", "--db", url, "--customer", "acme", "--from", "20241327",
                    "-o", str(refused))
    assert done.returncode == 2
    assert b"from is not a real calendar date" in done.stderr
    assert not refused.exists()
