"""The demo generator's queue calls (queues-and-kpis.md §1), read from its NDJSON output:
consistent with the agents' inbound call legs, valid, with meaningful service levels."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from ccstats import demo
from ccstats.demo import customer as demo_customer
from ccstats.demo.queues import queue_ids

ZONE = "Europe/Budapest"
#: Two weeks over the end of summer time (2026-10-25), 80 agents on 6 projects.
ARGS: dict[str, Any] = {"seed": 11, "agents": 80, "projects": 6, "days": 14,
                        "start": dt.date(2026, 10, 19), "timezone": ZONE}
SLA = 30
QUEUE_CALL_MEMBERS = {"id", "type", "projectId", "queueId", "userId", "start", "answer", "end"}

Event = dict[str, Any]


def _text(**changes: Any) -> bytes:
    return b"".join(demo.generate(**{**ARGS, **changes}))


def _epoch(value: int | str) -> int:
    return value if isinstance(value, int) else int(dt.datetime.fromisoformat(value).timestamp())


@dataclass(frozen=True)
class Generated:
    text: bytes
    events: list[Event]

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e["type"] == kind]

    def inbound_legs(self, answered: bool) -> list[Event]:
        return [e for e in self.of("call")
                if e["direction"] == "in" and (e["answer"] is not None) == answered]


@pytest.fixture(scope="module")
def generated() -> Generated:
    text = _text(queue_calls=True)
    return Generated(text, [orjson.loads(line) for line in text.splitlines()])


def test_the_other_events_are_the_same_with_queue_calls(generated: Generated) -> None:
    others = [line for line in generated.text.splitlines(keepends=True)
              if b'"type":"queuecall"' not in line]
    assert b"".join(others) == _text()
    assert len(generated.of("queuecall")) > 1000


def test_queue_calls_follow_the_member_rules(generated: Generated) -> None:
    queues = {q for p in range(1, 7) for q, _ in queue_ids(p, 6)}
    for call in generated.of("queuecall"):
        assert set(call) == QUEUE_CALL_MEMBERS
        assert isinstance(call["queueId"], int) and call["queueId"] >= 1
        assert call["queueId"] in queues and call["queueId"] // 10 == call["projectId"]
        start, end = _epoch(call["start"]), _epoch(call["end"])
        assert start <= end and end - start <= 86_400
        if call["answer"] is None:
            assert call["userId"] is None
        else:
            assert isinstance(call["userId"], int)
            assert start <= _epoch(call["answer"]) <= end


def test_each_answered_queue_call_is_one_answered_inbound_leg(generated: Generated) -> None:
    legs: dict[tuple[int, int], list[Event]] = defaultdict(list)
    for leg in generated.inbound_legs(answered=True):
        legs[leg["userId"], _epoch(leg["answer"])].append(leg)
    answered = [c for c in generated.of("queuecall") if c["answer"] is not None]
    matched: Counter[str] = Counter()
    for call in answered:
        found = legs[call["userId"], _epoch(call["answer"])]
        assert len(found) == 1, call
        leg = found[0]
        assert leg["projectId"] == call["projectId"]
        assert _epoch(call["start"]) <= _epoch(leg["start"])
        assert _epoch(call["end"]) == _epoch(leg["end"])
        matched[leg["id"]] += 1
    assert len(matched) == len(answered) == sum(len(v) for v in legs.values())
    assert set(matched.values()) == {1}


def test_each_missed_inbound_leg_rang_for_a_waiting_caller(generated: Generated) -> None:
    """A missed leg lies in a queue call of its project: one abandoned as it ended, or one
    that another agent answered later."""
    calls: dict[int, list[tuple[int, int | None, int, int | None]]] = defaultdict(list)
    for call in generated.of("queuecall"):
        answer = None if call["answer"] is None else _epoch(call["answer"])
        calls[call["projectId"]].append(
            (_epoch(call["start"]), answer, _epoch(call["end"]), call["userId"]))
    outcomes: Counter[bool] = Counter()
    for leg in generated.inbound_legs(answered=False):
        start, end = _epoch(leg["start"]), _epoch(leg["end"])
        abandoned = any(a is None and s <= start and e == end
                        for s, a, e, _ in calls[leg["projectId"]])
        rolled = any(a is not None and s <= start and end <= a and u != leg["userId"]
                     for s, a, _, u in calls[leg["projectId"]])
        assert abandoned or rolled, leg
        outcomes[abandoned] += 1
    assert outcomes[True] > 10 and outcomes[False] > 10


def test_callers_abandon_some_soon_most_after_a_while(generated: Generated) -> None:
    calls = generated.of("queuecall")
    waits = [_epoch(c["end"]) - _epoch(c["start"]) for c in calls if c["answer"] is None]
    assert 0.03 < len(waits) / len(calls) < 0.15
    assert sum(w <= 10 for w in waits) > 0.05 * len(waits)
    assert sum(w > SLA for w in waits) > 0.5 * len(waits)


def _service_levels(calls: Iterable[Event], key: str) -> dict[Any, tuple[int, float]]:
    """Offered calls and the share answered within `SLA` seconds, by the local date or hour
    of the start."""
    zone = ZoneInfo(ZONE)
    offered: Counter[Any] = Counter()
    within: Counter[Any] = Counter()
    for call in calls:
        start = _epoch(call["start"])
        local = dt.datetime.fromtimestamp(start, zone)
        group = local.date() if key == "date" else local.hour
        offered[group] += 1
        within[group] += call["answer"] is not None and _epoch(call["answer"]) - start <= SLA
    return {g: (offered[g], within[g] / offered[g]) for g in offered}


def test_every_busy_day_has_a_meaningful_service_level(generated: Generated) -> None:
    days = _service_levels(generated.of("queuecall"), "date")
    busy = {day: level for day, (offered, level) in days.items() if offered >= 100}
    assert len(busy) == 10  # the weekdays
    assert all(0.4 < level < 0.98 for level in busy.values()), busy
    assert 0.7 < sorted(busy.values())[len(busy) // 2] < 0.9


def test_the_peak_hours_have_the_worst_service_level(generated: Generated) -> None:
    hours = {h: level for h, (_, level) in _service_levels(generated.of("queuecall"),
                                                              "hour").items()}
    assert max(hours[10], hours[11]) < min(hours[8], hours[16], hours[17])


def test_ids_are_unique_and_the_output_is_the_seeds(generated: Generated) -> None:
    ids = [e["id"] for e in generated.events]
    assert len(set(ids)) == len(ids)
    assert all(c["id"].startswith("d2026") and "-q" in c["id"]
               for c in generated.of("queuecall"))
    assert _text(queue_calls=True) == generated.text
    assert _text(queue_calls=True, seed=12) != generated.text


def test_the_demo_customer_names_every_queue_of_its_data() -> None:
    names = demo_customer.queue_names()
    assert len({name for _, name in names}) == len(names)
    assert [queue for queue, _ in names] == sorted(queue for queue, _ in names)
    text = b"".join(demo.generate(
        seed=demo_customer.SEED, agents=demo_customer.AGENTS, projects=demo_customer.PROJECTS,
        days=7, start=dt.date(2026, 10, 19), timezone=demo_customer.TIMEZONE, queue_calls=True))
    used = {orjson.loads(line)["queueId"] for line in text.splitlines()
            if b'"type":"queuecall"' in line}
    assert used == {queue for queue, _ in names}
    assert dict(names)[61].startswith("Inbound Hotline: ")
