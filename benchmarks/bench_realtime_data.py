"""Metric 6's events: a day of closed history that ends just before now, and what is going
on now (1,000 agents online, 200 callers waiting), as one NDJSON file.

* History: the demo generator's first day of S (a Monday, 1,000 agents, queue calls),
  every timestamp moved by the same number of seconds so that its last event ends a
  minute before now; its ids get the prefix ``rt-`` (else they would replace S's
  events of that day in the store that holds both).
* Now: every agent (ids 1-1,000) has an open userstate that began within the last
  half hour; about half of them are in state ``call`` with an open, answered call,
  which for most agents of a project with queues is an inbound call answered from
  one of its queues (an open, answered queue call); plus `WAITING` open queue calls
  nobody answered yet, started within the last four minutes, spread over the queues.

Each id occurs once in the file, so that it holds the current version of every event.
Drawn from a seeded generator: the same ``now`` gives the same file.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from bench_data import PROJECTS, SEED, START, TIMEZONE, Dataset
from ccstats import demo

ONLINE = 1000
WAITING = 200
#: The history's last event ends this many seconds before now.
HISTORY_GAP_S = 60
#: States of the online agents and their weights; ``call`` comes with an open call.
STATES = (("call", 50), ("available", 12), ("afterwork", 10), ("waitingForCall", 10),
          ("break", 8), ("ringing", 5), ("unavailable", 5))
_TIMES = ("start", "answer", "end", "time")

Event = dict[str, object]


@dataclass(frozen=True)
class Floor:
    """What the history says of the demo's centre: each agent's project, each project's
    queues."""

    projects: dict[int, int]
    queues: dict[int, list[int]]

    def project(self, user: int) -> int:
        return self.projects.get(user, (user - 1) % PROJECTS + 1)


def realtime_file(path: Path, now: int) -> tuple[Dataset, Floor]:
    """Write the file for ``now`` (epoch seconds); its dataset and the centre it shows."""
    history = _history()
    floor = _floor(history)
    rng = random.Random(SEED + 6)
    events = 0
    with path.open("wb") as out:
        for event in [*_shifted(history, now), *_online(floor, now, rng),
                      *_waiting(floor, now, rng)]:
            out.write(orjson.dumps(event) + b"\n")
            events += 1
    return Dataset(path, events, ONLINE, ((START, 1),), None), floor


def _history() -> list[Event]:
    lines = b"".join(demo.generate(seed=SEED, agents=ONLINE, projects=PROJECTS, days=1,
                                   start=START, timezone=TIMEZONE, queue_calls=True))
    return [orjson.loads(line) for line in lines.splitlines()]


def _epoch(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        return int(dt.datetime.fromisoformat(value).timestamp())
    assert isinstance(value, int | float)
    return int(value)


def _shifted(history: list[Event], now: int) -> Iterator[Event]:
    last = max(_epoch(e.get("end", e.get("time"))) or 0 for e in history)
    delta = now - HISTORY_GAP_S - last
    for event in history:
        moved = dict(event, id=f"rt-{event['id']}")
        for name in _TIMES:
            if name in event and (stamp := _epoch(event[name])) is not None:
                moved[name] = stamp + delta
        yield moved


def _floor(history: list[Event]) -> Floor:
    projects: dict[int, int] = {}
    queues: dict[int, set[int]] = {}
    for event in history:
        project = event["projectId"]
        assert isinstance(project, int)
        if event["type"] == "userstate" and isinstance(event["userId"], int):
            projects[event["userId"]] = project
        if event["type"] == "queuecall" and isinstance(event["queueId"], int):
            queues.setdefault(project, set()).add(event["queueId"])
    return Floor(projects, {p: sorted(q) for p, q in sorted(queues.items())})


def _online(floor: Floor, now: int, rng: random.Random) -> Iterator[Event]:
    names, weights = zip(*STATES, strict=True)
    for user in range(1, ONLINE + 1):
        project = floor.project(user)
        state = rng.choices(names, weights)[0]
        start = now - rng.randint(5, 1800)
        yield {"id": f"rt-now-s{user}", "type": "userstate", "projectId": project,
               "userId": user, "state": state, "start": start, "end": None}
        if state != "call":
            continue
        began = start + rng.randint(0, 3)
        answer = min(began + rng.randint(0, 5), now)
        queues = floor.queues.get(project)
        inbound = bool(queues) and rng.random() < 0.8
        yield {"id": f"rt-now-c{user}", "type": "call", "projectId": project, "userId": user,
               "direction": "in" if inbound else "out", "start": began, "answer": answer,
               "end": None}
        if queues and inbound:
            yield {"id": f"rt-now-q{user}", "type": "queuecall", "projectId": project,
                   "queueId": rng.choice(queues), "userId": user,
                   "start": began - rng.randint(1, 90), "answer": began, "end": None}


def _waiting(floor: Floor, now: int, rng: random.Random) -> Iterator[Event]:
    pairs = [(project, queue) for project, queues in floor.queues.items() for queue in queues]
    for i in range(WAITING):
        project, queue = rng.choice(pairs)
        yield {"id": f"rt-now-w{i}", "type": "queuecall", "projectId": project,
               "queueId": queue, "userId": None, "start": now - rng.randint(1, 240),
               "answer": None, "end": None}
