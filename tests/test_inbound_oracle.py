"""`GET /v2/statistics/inbound` and the inbound KPIs against the independent oracle
(`inbound_oracle`), on random queue calls.

A scenario stores batches of queue calls (answered, abandoned, waits around any
threshold) mixed with other events, near DST transitions and local midnights of
zones with half-hour offsets; ids are reused, so calls are replaced (also by
events of another type, and the other way round) and deleted. Every query asks
the inbound fields with a random ``manual_sla``, dimension order, zone, slot,
filter and format, and a list of inbound KPIs at the same threshold.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from backends import drop_database, new_database
from ccstats.query import Endpoint
from ccstats.service import Service
from inbound_oracle import (
    INBOUND_FIELDS,
    KPIS,
    expected_inbound,
    expected_inbound_csv,
    expected_kpis,
    expected_kpis_csv,
)
from oracle import Event, Op, apply_ops, parse_timestamp
from test_oracle import (
    ANCHORS,
    DELTAS,
    ID_POOL,
    LENGTHS,
    TRANSITIONS,
    ZONES,
    Frame,
    Stored,
    _ordered,
    answers,
    event_bodies,
    frames,
    id_filter,
    listed,
    run_step,
    stamps,
    still_going,
)

INBOUND_KPIS = sorted(name for name, kpi in KPIS.items() if kpi.source == "inbound")
_customer_numbers = itertools.count(1)


@st.composite
def queue_calls(draw: st.DrawFn, anchors: tuple[int, ...], event_id: str) -> Event:
    """One random valid queue call near one of `anchors`."""
    start = draw(st.sampled_from(anchors)) + draw(DELTAS)
    end = start + draw(LENGTHS)
    event: Event = {"id": event_id, "type": "queuecall", "queueId": draw(st.integers(1, 3)),
                    "projectId": draw(st.integers(1, 3))}
    if draw(st.booleans()):
        answer = draw(st.sampled_from([start, end]) | st.integers(start, min(end, start + 90)))
        s, a, e = _ordered([draw(stamps(start)), draw(stamps(answer)), draw(stamps(end))])
        event |= {"start": s.encode(), "answer": a.encode(), "end": e.encode(),
                  "userId": draw(st.integers(1, 3))}
    else:
        s, e = _ordered([draw(stamps(start)), draw(stamps(end))])
        event |= {"start": s.encode(), "answer": None, "end": e.encode()}
        if draw(st.booleans()):
            event["userId"] = None
    still_going(draw, event, start)
    return event


def _waits(stored: dict[str, Event]) -> list[int]:
    """The waits of the stored queue calls (thresholds worth asking at)."""
    return sorted({parse_timestamp(e["answer"] if e["answer"] is not None else e["end"])
                   - parse_timestamp(e["start"])
                   for e in stored.values() if e["type"] == "queuecall" and e["end"] is not None})


@dataclass
class InboundQuery:
    """One inbound request: its options, the oracle's view of them, and KPIs to ask too."""

    frame: Frame
    projects: set[int] | None
    queues: set[int] | None
    manual_sla: int
    fields: list[str] | None
    kpis: list[str]


@st.composite
def inbound_queries(draw: st.DrawFn, customer_zone: str, anchor_zone: str,
                    stored: Stored) -> InboundQuery:
    frame = draw(frames(customer_zone, anchor_zone, dict(stored.events),
                        ("project", "queue", "date", "time")))
    params = frame.params
    waits = [w for w in _waits(stored.events) if 1 <= w <= 3600]
    sla = draw(st.sampled_from([*waits, 1, 20, 30]) | st.integers(1, 3600))
    if sla != 30 or draw(st.booleans()):
        params["manual_sla"] = str(sla)
    fields: list[str] | None = draw(
        st.none() | st.lists(st.sampled_from(INBOUND_FIELDS), min_size=1, max_size=8))
    if fields is not None:
        params["fields"] = ",".join(fields)
    projects, queues = id_filter(draw, stored.projects), id_filter(draw, stored.queues)
    if projects is not None:
        params["projects"] = listed(projects)
    if queues is not None:
        params["queues"] = listed(queues)
    kpis = draw(st.lists(st.sampled_from(INBOUND_KPIS), min_size=1, max_size=4))
    return InboundQuery(frame, projects, queues, sla, fields, kpis)


@dataclass
class Step:
    """A batch to ingest, or an id to delete, then queries."""

    events: list[Event]
    delete: str | None
    queries: list[InboundQuery]


@dataclass
class Scenario:
    zone: str
    steps: list[Step]


def _batch(draw: st.DrawFn, stored: Stored, anchors: tuple[int, ...]) -> list[Event]:
    """Queue calls and a few other events: new ids, replacements, identical re-puts."""
    batch: list[Event] = []
    for _ in range(draw(st.integers(1, 8))):
        if stored.events and draw(st.integers(0, 5)) == 0:
            batch.append(dict(stored.events[draw(st.sampled_from(sorted(stored.events)))]))
            continue
        event_id = draw(st.sampled_from(ID_POOL))
        other = draw(st.integers(0, 4)) == 0
        batch.append(draw(event_bodies(anchors, event_id) if other
                          else queue_calls(anchors, event_id)))
    return batch


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    anchor_zone = draw(st.sampled_from(ZONES))
    customer_zone = draw(st.just(anchor_zone) | st.sampled_from(ZONES))
    anchors = ANCHORS[anchor_zone]
    first = draw(st.sampled_from(TRANSITIONS[anchor_zone] or anchors))
    close = [a for a in anchors if abs(a - first) < 200 * 86400]
    near = (*draw(st.lists(st.sampled_from(close), max_size=1)), first)
    stored, steps = Stored(), []
    for number in range(draw(st.integers(1, 5))):
        if number > 0 and draw(st.integers(0, 3)) == 0:
            target = draw(st.sampled_from(sorted({*stored.events, *ID_POOL[:2]})))
            stored.delete(target)
            steps.append(Step([], target, []))
        else:
            batch = _batch(draw, stored, near)
            stored.ingest(batch)
            steps.append(Step(batch, None, []))
        count = 2 if number == 0 else draw(st.integers(0, 1))
        steps[-1].queries += [draw(inbound_queries(customer_zone, anchor_zone, stored))
                              for _ in range(count)]
    return Scenario(customer_zone, steps)


@pytest.fixture(scope="module")
def inbound_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    url = new_database(tmp_path_factory.mktemp("inbound"), "inbound")
    svc = Service.open(url)
    yield svc
    svc.close()
    drop_database(url)


def _same(body: bytes, fmt: str, records: list[dict[str, Any]], csv: str) -> None:
    if fmt == "json":
        answer = orjson.loads(body)
        assert answer["errors"] == []
        # (equal text: equal values, types and key order)
        assert json.dumps(answer["response"], indent=1) == json.dumps(records, indent=1)
    else:
        assert body.decode() == csv


def check(service: Service, customer: str, query: InboundQuery,
          stored: dict[str, Event]) -> None:
    f = query.frame
    sep = "\t" if f.fmt == "tab" else ","
    records = expected_inbound(stored, f.zone, f.date_from, f.date_to, f.dimensions,
                               f.interval, query.projects, query.queues, query.manual_sla,
                               query.fields)
    for body in answers(service, customer, dict(f.params), Endpoint.INBOUND):
        _same(body, f.fmt, records, expected_inbound_csv(records, f.dimensions, sep))
    params = {name: value for name, value in f.params.items() if name != "fields"}
    params["kpis"] = ",".join(query.kpis)
    note(f"kpis query {params}")
    kpis = expected_kpis(stored, f.zone, f.date_from, f.date_to, f.dimensions, f.interval,
                         query.projects, query.kpis, queues=query.queues,
                         manual_sla=query.manual_sla)
    _same(service.query(customer, params, Endpoint.KPIS), f.fmt, kpis,
          expected_kpis_csv(kpis, f.dimensions, "inbound", sep))


def play(service: Service, scenario: Scenario) -> None:
    customer = f"q{next(_customer_numbers)}"
    service.create_customer(customer, timezone=scenario.zone, password="secret")
    note(f"customer {customer} in {scenario.zone}")
    ops: list[Op] = []
    for step in scenario.steps:
        body = "".join(json.dumps(event) + "\n" for event in step.events).encode()
        run_step(service, customer, ops, step.delete, step.events, body)
        for query in step.queries:
            note(f"inbound query {query.frame.params}")
            check(service, customer, query, apply_ops(ops))


def _at_the_threshold(sla: int) -> Scenario:
    """Calls answered and abandoned after `sla` - 1, `sla` and `sla` + 1 seconds, asked
    at threshold `sla`: the boundary the random scenarios reach only now and then."""
    day, first = date(2024, 6, 10), 1_718_010_000  # 09:00 UTC that day
    events: list[Event] = []
    for n, wait in enumerate((sla - 1, sla, sla + 1)):
        start = first + n * 600
        events += [{"id": f"answered-{wait}", "type": "queuecall", "queueId": 1,
                    "projectId": 1, "start": start, "answer": start + wait,
                    "end": start + wait + 60, "userId": 1},
                   {"id": f"abandoned-{wait}", "type": "queuecall", "queueId": 1,
                    "projectId": 1, "start": start + 300, "answer": None,
                    "end": start + 300 + wait}]
    frame = Frame({"from": "20240610", "to": "20240610", "dimensions": "queue,date",
                   "manual_sla": str(sla)}, "UTC", 60, day, day, ["queue", "date"], "json")
    query = InboundQuery(frame, None, None, sla, None, INBOUND_KPIS)
    return Scenario("UTC", [Step(events, None, [query])])


@settings(max_examples=max(settings().max_examples // 2, 10), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenario=scenarios())
@example(scenario=_at_the_threshold(20))
def test_inbound_statistics_and_kpis_match_oracle(inbound_service: Service,
                                                  scenario: Scenario) -> None:
    play(inbound_service, scenario)
