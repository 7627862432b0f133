"""The demo's live shift as a simulation (`ccstats.demo.live.floor`), played without a server:
every moment possible, the same shift however it is looked at, a plausible small centre."""

from __future__ import annotations

import random
import statistics
from collections import Counter

from ccstats.demo import customer
from ccstats.demo.live.floor import Floor
from ccstats.demo.live.records import Event
from ccstats.demo.live.roster import LIVE_PROJECTS, demo_roster
from live_checks import Moments, from_event, phase

START = 1_796_515_200  # 2026-12-05T00:00:00Z
ROSTER = demo_roster()
AGENTS = frozenset(agent.user_id for agent in ROSTER.agents)
HOURS = 3


def play(floor: Floor, times: list[int]) -> dict[str, Event]:
    """The latest version of every event after playing up to each of `times` in turn."""
    latest: dict[str, Event] = {}
    for at in times:
        latest.update((str(event["id"]), event) for event in floor.advance(at))
    return latest


def closed_shift(seed: int, times: list[int], end: int) -> dict[str, Event]:
    floor = Floor(ROSTER, seed, START)
    latest = play(floor, times)
    latest.update((str(event["id"]), event) for event in floor.close(end))
    return latest


def test_the_roster_is_made_of_the_demos_agents_and_queues() -> None:
    assert {agent.project_id for agent in ROSTER.agents} == set(LIVE_PROJECTS)
    assert len(AGENTS) == 12
    for agent in ROSTER.agents:
        assert agent.project_id == (agent.user_id - 1) % customer.PROJECTS + 1
        assert agent.outbound == (agent.project_id != customer.PROJECTS)
    named = {queue_id for queue_id, _ in customer.queue_names()}
    assert {queue.project_id for queue in ROSTER.queues} == set(LIVE_PROJECTS)
    assert {queue.queue_id for queue in ROSTER.queues} <= named
    small = demo_roster(4)
    assert [agent.user_id for agent in small.agents] == [3, 6, 9, 12]
    # a third of the agents, a third of the callers
    assert sum(q.per_hour for q in small.queues) == sum(q.per_hour for q in ROSTER.queues) / 3


def test_every_moment_of_a_shift_is_possible() -> None:
    floor = Floor(ROSTER, customer.SEED, START)
    moments = Moments(AGENTS)
    end = START + HOURS * 3600
    for at in range(START, end, 2):
        moments.apply(map(from_event, floor.advance(at)), at)
    moments.apply(map(from_event, floor.close(end)), end, ended=True)
    moments.check_contiguous()
    seen = Counter(tuple(phases) for phases in moments.phases.values())
    assert seen[("waiting", "talking", "answered")] > 100
    assert seen[("waiting", "abandoned")] > 5
    # a caller whose agent answered within the same two seconds was never seen waiting
    assert set(seen) <= {("waiting", "talking", "answered"), ("waiting", "abandoned"),
                         ("waiting", "answered"), ("talking", "answered"), ("answered",),
                         ("abandoned",)}


def test_the_shift_depends_only_on_its_seed_and_start() -> None:
    end = START + 3600
    regular = closed_shift(customer.SEED, list(range(START, end, 2)), end)
    steps = random.Random(1)
    irregular = [START]
    while irregular[-1] < end:
        irregular.append(irregular[-1] + steps.randint(1, 120))
    assert closed_shift(customer.SEED, irregular[:-1], end) == regular
    assert closed_shift(customer.SEED, [], end) == regular
    assert closed_shift(customer.SEED + 1, [], end) != regular


def test_a_small_centre_is_busy_but_not_swamped() -> None:
    end = START + HOURS * 3600
    rows = [from_event(e) for e in closed_shift(customer.SEED, [], end).values()]
    queue_calls = [r for r in rows if r.type == "queuecall" and r.end != end]
    answered = [r for r in queue_calls if r.answer is not None]
    assert 0.03 < 1 - len(answered) / len(queue_calls) < 0.25
    waits = sorted(r.answer - r.start for r in answered if r.answer is not None)
    assert statistics.median(waits) <= 30
    assert 60 <= waits[-1] <= 600
    talks = [r.end - r.answer for r in answered if r.end is not None and r.answer is not None]
    assert 60 <= statistics.median(talks) <= 300
    states = Counter(r.sub for r in rows if r.type == "userstate")
    assert states["break"] >= 5
    assert states["afterwork"] >= len(answered)
    dispositions = [r for r in rows if r.type == "disposition"]
    outbound = [r for r in rows if r.type == "call" and r.sub == "out" and r.end != end]
    assert len(dispositions) == len(outbound) > 50
    assert {r.user for r in answered} == AGENTS


def test_closing_ends_everything_at_once_and_the_shift_with_it() -> None:
    """Closed while callers wait and others talk, every open event ends then, unchanged
    otherwise (a waiting caller hangs up)."""
    floor = Floor(ROSTER, customer.SEED, START)
    going: dict[str, Event] = {}
    at = START
    while {phase(from_event(e)) for e in going.values() if e["type"] == "queuecall"} != {
            "waiting", "talking"}:
        at += 1
        assert at < START + 7200
        for event in floor.advance(at):
            if event.get("end", 0) is None:
                going[str(event["id"])] = event
            else:
                going.pop(str(event["id"]), None)
    closing = {str(event["id"]): event for event in floor.close(at)}
    assert closing.keys() == going.keys()
    for event_id, event in closing.items():
        assert {**event, "end": None} == going[event_id]
        assert event["end"] == at
    assert floor.closed
    assert floor.advance(START + 7200) == []
