"""``of=xlsx``: the csv answer as a workbook, cell for cell, on random events and options.

The store answers each random query of userbased, inbound and KPI statistics in csv
and in xlsx; openpyxl reads the workbook back and every cell must be the csv cell,
typed (`workbooks.assert_same_answer`). Then the writer on its own: Excel's row limit,
ids beyond Excel's digits, and memory that does not grow with the answer.
"""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from backends import drop_database, new_database
from ccstats import spreadsheet
from ccstats.catalog import CATALOG
from ccstats.errors import InvalidRequest
from ccstats.inbound import INBOUND_FIELDS
from ccstats.kpis import FORMULAS, Source
from ccstats.query import Endpoint, StatsQuery
from ccstats.service import Service
from conftest import Event, call, chat, ndjson, point, queue_call, userstate
from workbooks import assert_same_answer, sheet_rows

CUSTOMER = "sheets"
#: Three days around the night Europe's clocks went forward (29 March 2020).
FIRST, LAST = "20200328", "20200330"
_START = 1_585_353_600  # 2020-03-28T00:00:00Z
USERS = (1, 2, 3, 10**12)
STATES = ("available", "call", "afterwork", "prework", "ringing", "waitingForCall",
          "waitingForRecall", "break", "unavailable")
POINTS = (("disposition", "success"), ("disposition", "recall"), ("disposition", "failed"),
          ("disposition", "reachFailed"), ("email", "sent"), ("email", "received"),
          ("ticket", "created"), ("ticket", "closed"))


def random_events(rng: random.Random, count: int) -> list[Event]:
    """`count` events of every kind over the three days, for 4 users, 2 projects, 3 queues."""
    events: list[Event] = []
    for number in range(count):
        start = _START + rng.randrange(3 * 86_400 - 7_200)
        length = rng.choice((0, rng.randrange(1, 120), rng.randrange(120, 7_200)))
        at = {"project": rng.randint(1, 2), "user": rng.choice(USERS)}
        event_id, kind = f"e{number}", rng.randrange(6)
        if kind == 0:
            events.append(userstate(event_id, rng.choice(STATES), start, start + length, **at))
        elif kind == 1:
            answer = rng.choice((None, start + rng.randint(0, length)))
            events.append(call(event_id, rng.choice(("in", "out")), start, answer,
                               start + length, **at))
        elif kind == 2:
            event_type, subtype = rng.choice(POINTS)
            events.append(point(event_id, event_type, subtype, start, **at))
        elif kind == 3:
            events.append(chat(event_id, start, start + length, **at))
        else:
            answer = rng.choice((None, start + rng.randint(0, min(length, 90))))
            events.append(queue_call(event_id, rng.randint(1, 3), start, answer, start + length,
                                     project=at["project"], user=at["user"]))
    return events


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A customer in Europe/Budapest with 600 random events."""
    url = new_database(tmp_path_factory.mktemp("sheets"), "sheets")
    opened = Service.open(url)
    opened.create_customer(CUSTOMER, "Europe/Budapest", "pw")
    opened.ingest(CUSTOMER, ndjson(*random_events(random.Random(26), 600)))
    yield opened
    opened.close()
    drop_database(url)


def _dimensions(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    chosen = st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True)
    return chosen.map(",".join)


def _names(names: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(names), min_size=1, max_size=6, unique=True).map(",".join)


_COMMON = {"timezone": st.sampled_from(["Europe/Budapest", "UTC", "Asia/Kathmandu"]),
           "interval": st.sampled_from(["60", "30", "15"])}
_USER_DIMENSIONS = ("project", "user", "date", "time")
_QUEUE_DIMENSIONS = ("project", "queue", "date", "time")


@st.composite
def requests(draw: st.DrawFn) -> tuple[Endpoint, dict[str, str]]:
    """A statistics endpoint and options of it, each optional one given or not."""
    endpoint = draw(st.sampled_from(list(Endpoint)))
    source = Source.INBOUND if endpoint is Endpoint.INBOUND else Source.USERBASED
    if endpoint is Endpoint.KPIS:
        source = draw(st.sampled_from(list(Source)))
    optional = dict(_COMMON)
    if endpoint is not Endpoint.KPIS:
        offered = CATALOG if source is Source.USERBASED else INBOUND_FIELDS
        optional["fields"] = _names([found.name for found in offered])
    if source is Source.INBOUND:
        optional["manual_sla"] = st.sampled_from(["5", "30", "60"])
    params = {name: draw(value) for name, value in optional.items() if draw(st.booleans())}
    params |= {"from": FIRST, "to": LAST, "dimensions": draw(_dimensions(
        _USER_DIMENSIONS if source is Source.USERBASED else _QUEUE_DIMENSIONS))}
    if endpoint is Endpoint.KPIS:
        params["kpis"] = draw(_names([k.name for k in FORMULAS if k.source is source]))
    return endpoint, params


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=requests())
def test_every_cell_is_the_csv_cell(service: Service,
                                    request: tuple[Endpoint, dict[str, str]]) -> None:
    endpoint, params = request
    note(f"{endpoint} {params}")
    csv_answer = service.query(CUSTOMER, {**params, "of": "csv"}, endpoint)
    workbook = service.query(CUSTOMER, {**params, "of": "xlsx"}, endpoint)
    assert assert_same_answer(workbook, csv_answer) == csv_answer.count(b"\r\n") - 1


def test_the_three_resources_answer_workbooks_of_many_lines(service: Service) -> None:
    """(So that the random queries above compare answers with something in them.)"""
    every = {"from": FIRST, "to": LAST, "interval": "15"}
    kpis = {source: ",".join(k.name for k in FORMULAS if k.source is source) for source in Source}
    asked = [
        (Endpoint.USERBASED, {**every, "dimensions": "user,date,time"}),
        (Endpoint.INBOUND, {**every, "dimensions": "queue,project,time"}),
        (Endpoint.KPIS, {**every, "dimensions": "user,time",
                         "kpis": kpis[Source.USERBASED]}),
        (Endpoint.KPIS, {**every, "dimensions": "date,queue",
                         "kpis": kpis[Source.INBOUND]}),
    ]
    for endpoint, params in asked:
        csv_answer = service.query(CUSTOMER, {**params, "of": "csv"}, endpoint)
        workbook = service.query(CUSTOMER, {**params, "of": "xlsx"}, endpoint)
        assert assert_same_answer(workbook, csv_answer) > 20, params


def test_an_answer_longer_than_a_sheet_is_refused_before_any_byte(service: Service) -> None:
    params = {"from": FIRST, "to": LAST, "dimensions": "user,date,time", "of": "xlsx"}
    plan = service.plan(CUSTOMER, params)
    csv_answer = service.query(CUSTOMER, {**params, "of": "csv"})
    lines = csv_answer.count(b"\r\n") - 1
    fits = b"".join(spreadsheet.workbook(plan, [csv_answer], max_rows=lines + 1))
    assert len(sheet_rows(fits)) == lines + 1
    chunks = spreadsheet.workbook(plan, [csv_answer], max_rows=lines)
    with pytest.raises(InvalidRequest) as refused:
        next(chunks)
    [error] = refused.value.errors
    assert (error.code, error.param) == ("error.bad_arguments", "of")
    assert f"more than {lines - 1} lines" in error.message


def test_a_workbook_of_nothing_has_its_header(service: Service) -> None:
    params = {"from": "20210101", "to": "20210102", "dimensions": "project,date",
              "of": "xlsx", "kpis": "serviceLevel"}
    rows = sheet_rows(service.query(CUSTOMER, params, Endpoint.KPIS))
    assert rows == [["date", "projectId", "level", "kpi", "value", "numerator", "denominator"]]


def _hourly_lines(days: int) -> Iterator[bytes]:
    """A csv answer of ``user,date,time`` with 2 fields for every hour of `days` days of 2020,
    for 2 users."""
    yield b"date,time,userId,level,field,count,sum\r\n"
    for user in (1, 2):
        for day in range(days):
            on = date(2020, 1, 1) + timedelta(days=day)
            yield b"".join(f"{on},{hour}00,{user},2,userstateCall,,{3000 + hour}\r\n"
                           f"{on},{hour}00,{user},2,callInAnswered,{hour},{hour * 61}\r\n"
                           .encode() for hour in range(24))


def _peak_bytes(plan: StatsQuery, days: int) -> int:
    """The most memory taken while the workbook of `days` days of hourly lines is made."""
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in spreadsheet.workbook(plan, _hourly_lines(days)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert size > days * 1000
    return peak


def test_memory_does_not_grow_with_the_answer(tmp_path: Path) -> None:
    """A year of hourly records of 2 users (35,000 lines) takes no more memory than a month
    (tracemalloc's peak, the store left out)."""
    service = Service.open(str(tmp_path / "m.duckdb"))
    try:
        service.create_customer("memory", "UTC", "pw")
        plan = service.plan("memory", {"from": "20200101", "to": "20201231", "of": "xlsx",
                                       "dimensions": "user,date,time",
                                       "fields": "userstateCall,callInAnswered"})
    finally:
        service.close()
    month, year = _peak_bytes(plan, 31), _peak_bytes(plan, 366)
    assert year < month + (256 << 10), (month, year)


def test_ids_beyond_excels_digits_are_text(tmp_path: Path) -> None:
    service = Service.open(str(tmp_path / "i.duckdb"))
    try:
        service.create_customer("ids", "UTC", "pw")
        plan = service.plan("ids", {"from": FIRST, "to": LAST, "dimensions": "user",
                                    "of": "xlsx"})
    finally:
        service.close()
    answer = [b"userId,level,field,count,sum\r\n",
              b"999999999999999,0,ticketClosed,3,\r\n9007199254740991,0,ticketClosed,4,\r\n"]
    rows = sheet_rows(b"".join(spreadsheet.workbook(plan, answer)))
    assert rows[1:] == [[999999999999999, 0, "ticketClosed", 3, None],
                        ["9007199254740991", 0, "ticketClosed", 4, None]]
