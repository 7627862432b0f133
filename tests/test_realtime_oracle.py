"""`GET /v2/onlineusers` and `GET /v2/realtime/queues` against the independent oracle
(`realtime_oracle`), on random live events, through `Service`.

A scenario fixes a customer zone (DST changes, half-hour and quarter-hour offsets) and
a `now`: the real clock, or a moment near a DST change or a local midnight of
2024-2025. It creates some users (agents and system users) and queues with names
that need csv quoting, then stores batches of userstates, calls, queue calls and
chats, open or closed, timed around `now`, the stale limit (`now` - 24 h) and the
local midnights of yesterday, today and tomorrow. Ids come from a small pool, so
later batches close open events, move their start or change their type; some
steps delete an id. After every step both resources are asked with random options
and formats, at `now`, and must answer byte for byte what the oracle computes from
the events that should be stored.

An open event may not start more than 300 s after the server's real clock: every
start here lies at most 300 s after `now`, which is never later than the real clock.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from backends import drop_database, new_database
from ccstats.model import Queue, Status, User, UserKind
from ccstats.service import Service
from oracle import Event, Op, apply_ops, parse_timestamp
from realtime_oracle import (
    expected_online_users,
    expected_queues,
    online_users_csv,
    queues_csv,
)
from test_oracle import (
    ID_POOL,
    USERSTATES,
    Stored,
    _anchors,
    _ordered,
    id_filter,
    listed,
    run_step,
    stamps,
)

ZONES = ("Australia/Adelaide", "Asia/Kolkata", "America/New_York", "Australia/Lord_Howe",
         "Europe/Budapest", "UTC")
ANCHORS = {zone: _anchors(zone) for zone in ZONES}
#: Names that csv must quote, or that tab must flatten, and plain ones.
NAMES = ("Anna", 'Bo, "the boss"', "line\nbreak", "tab\there", "Zoë Ünal", "Q1 sales")
USERS = (1, 2, 3)
#: A user that only exists as metadata: it never has an event.
SILENT_USER = 9
KINDS = ("userstate",) * 3 + ("call",) * 2 + ("queuecall",) * 3 + ("chat",)
IDS = (*ID_POOL, *(f"rt-{i}" for i in range(8)))
FORMATS = {None: "json", "json": "json", "csv": "csv", "cvs": "csv", "tab": "tab"}
STALE = 86_400
_customer_numbers = itertools.count(1)

SMALL = st.integers(-2, 2)
#: Offsets of a closed event's start from an instant: on it (ties of starts), about it, or
#: up to 30 hours before it.
DELTAS = st.one_of(st.just(0), SMALL, st.integers(-2 * 3600, 2 * 3600),
                   st.integers(-30 * 3600, 0))
#: Seconds between the start of an open event and now: most of them live (some sharing a
#: start), some around the stale limit, a few starting after now (as far as the server's
#: clock allows).
OPEN_AGES = st.one_of(st.sampled_from([0, 1, 60, STALE - 1, STALE, STALE + 1]),
                      st.integers(-300, 7200), st.integers(-300, STALE + 3600))
LENGTHS = st.one_of(st.integers(0, 3), st.integers(0, 7200), st.integers(0, 86_400))


# --------------------------------------------------------------------------- moments


@st.composite
def nows(draw: st.DrawFn, zone: str) -> int:
    """The real clock (a little before), or a moment near a DST change or local midnight."""
    if draw(st.integers(0, 4)) == 0:
        return int(time.time()) - draw(st.integers(0, 600))
    shift = draw(st.one_of(SMALL, st.integers(-3 * 3600, 3 * 3600),
                           st.integers(-30 * 3600, 30 * 3600)))
    return draw(st.sampled_from(ANCHORS[zone])) + shift


def marks(zone: str, now: int) -> tuple[int, ...]:
    """Instants worth placing events around: now, the stale limit, and the local
    midnights before and after the local date of now."""
    tz = ZoneInfo(zone)
    day = datetime.fromtimestamp(now, tz).date()
    midnights = []
    for k in (-1, 0, 1, 2):
        other = day + timedelta(days=k)
        midnights.append(int(datetime(other.year, other.month, other.day, tzinfo=tz).timestamp()))
    return (now, now - STALE, *midnights)


# --------------------------------------------------------------------------- events


def _written(draw: st.DrawFn, seconds: list[int]) -> list[Any]:
    """Ordered instants as JSON timestamps (their unfloored values still in order)."""
    return [stamp.encode() for stamp in _ordered([draw(stamps(s)) for s in seconds])]


@st.composite
def live_events(draw: st.DrawFn, event_id: str, instants: tuple[int, ...], now: int,
                like: Event | None = None) -> Event:
    """One valid interval event, open two times in three (a queue call one time in
    three): then started before `now` (or up to 300 s after it), else near one of
    `instants`. An event `like` another has its type, start, openness and user (the
    queue of a queue call): one of them is the latest only by its id."""
    kind = draw(st.sampled_from(KINDS)) if like is None else like["type"]
    if like is None:
        going = draw(st.integers(0, 2)) > (1 if kind == "queuecall" else 0)
        start = now - draw(OPEN_AGES) if going else draw(st.sampled_from(instants)) + draw(DELTAS)
    else:
        going, start = like["end"] is None, parse_timestamp(like["start"])
    event: Event = {"id": event_id, "type": kind, "projectId": draw(st.integers(1, 3))}
    answered = kind in ("call", "queuecall") and draw(st.booleans())
    answer = start + draw(st.integers(0, 90) | SMALL.map(abs))
    end = min((answer if answered else start) + draw(LENGTHS), start + STALE)
    answer = min(answer, end)
    times = _written(draw, [start, answer, end] if answered else [start, end])
    event["start"], event["end"] = times[0], None if going else times[-1]
    if kind in ("call", "queuecall"):
        event["answer"] = times[1] if answered else None
    if kind == "userstate":
        event["state"] = draw(st.sampled_from(USERSTATES))
    elif kind == "call":
        event["direction"] = draw(st.sampled_from(["in", "out"]))
    _people(draw, event, answered, like)
    return event


def _people(draw: st.DrawFn, event: Event, answered: bool, like: Event | None) -> None:
    """The user (and the queue) of `event`, those of `like` where it has them."""
    if event["type"] == "queuecall":
        event["queueId"] = draw(st.integers(1, 3)) if like is None else like["queueId"]
        if answered:
            event["userId"] = draw(st.sampled_from(USERS))
        elif draw(st.booleans()):
            event["userId"] = None
    else:
        event["userId"] = draw(st.sampled_from(USERS)) if like is None else like["userId"]


# --------------------------------------------------------------------------- scenario


@dataclass
class Metadata:
    """The users and queues a scenario creates before any event, and what that means
    for the answers' names and ``hide_system_users``."""

    users: list[User] = field(default_factory=list)
    queues: list[Queue] = field(default_factory=list)

    def user_names(self) -> dict[int, str]:
        return {user.user_id: user.name for user in self.users}

    def queue_names(self) -> dict[int, str]:
        return {queue.queue_id: queue.name for queue in self.queues}

    def system_users(self) -> set[int]:
        return {user.user_id for user in self.users if user.kind is UserKind.SYSTEM}


@dataclass
class UsersAsk:
    params: dict[str, str]
    projects: set[int] | None
    users: set[int] | None
    hide: bool
    fmt: str


@dataclass
class QueuesAsk:
    params: dict[str, str]
    projects: set[int] | None
    queues: set[int] | None
    manual_sla: int
    fmt: str


@dataclass
class Step:
    events: list[Event]
    delete: str | None
    users: UsersAsk
    queues: QueuesAsk


@dataclass
class Scenario:
    zone: str
    now: int
    metadata: Metadata
    steps: list[Step]


def _format(draw: st.DrawFn, params: dict[str, str]) -> str:
    given = draw(st.sampled_from(sorted(FORMATS, key=str)))
    if given is not None:
        params["of"] = given
    return FORMATS[given]


@st.composite
def users_asks(draw: st.DrawFn, projects: set[int], users: set[int]) -> UsersAsk:
    params: dict[str, str] = {}
    fmt = _format(draw, params)
    chosen_projects, chosen_users = id_filter(draw, projects), id_filter(draw, users)
    if chosen_projects is not None:
        params["projects"] = listed(chosen_projects)
    if chosen_users is not None:
        params["users"] = listed(chosen_users)
    hide = draw(st.sampled_from([None, "true", "false", "1", "0"]))
    if hide is not None:
        params["hide_system_users"] = hide
    return UsersAsk(params, chosen_projects, chosen_users, hide in ("true", "1"), fmt)


def _waits(stored: dict[str, Event]) -> list[int]:
    """The waits of the stored answered queue calls: thresholds worth asking at."""
    return sorted({parse_timestamp(e["answer"]) - parse_timestamp(e["start"])
                   for e in stored.values()
                   if e["type"] == "queuecall" and e["answer"] is not None} - {0})


@st.composite
def queues_asks(draw: st.DrawFn, stored: Stored) -> QueuesAsk:
    params: dict[str, str] = {}
    fmt = _format(draw, params)
    chosen_projects = id_filter(draw, stored.projects)
    chosen_queues = id_filter(draw, stored.queues)
    if chosen_projects is not None:
        params["projects"] = listed(chosen_projects)
    if chosen_queues is not None:
        params["queues"] = listed(chosen_queues)
    sla = draw(st.none() | st.sampled_from([*_waits(stored.events), 1, 30, 3600])
               | st.integers(1, 3600))
    if sla is not None:
        params["manual_sla"] = str(sla)
    return QueuesAsk(params, chosen_projects, chosen_queues, 30 if sla is None else sla, fmt)


@st.composite
def metadata(draw: st.DrawFn) -> Metadata:
    made = Metadata()
    for user in draw(st.lists(st.sampled_from((*USERS, SILENT_USER)), unique=True)):
        kind = draw(st.sampled_from(UserKind))
        made.users.append(User(user, draw(st.sampled_from(NAMES)), kind, Status.ACTIVE))
    for queue in draw(st.lists(st.integers(1, 3), unique=True)):
        made.queues.append(Queue(queue, draw(st.sampled_from(NAMES)), Status.ACTIVE))
    return made


def _batch(draw: st.DrawFn, stored: Stored, instants: tuple[int, ...], now: int) -> list[Event]:
    """New ids, replacements (closing, moving or retyping a stored event), re-puts, and
    events that tie with another of the batch."""
    batch: list[Event] = []
    for _ in range(draw(st.integers(1, 12))):
        roll = draw(st.integers(0, 5))
        if stored.events and roll == 0:
            batch.append(dict(stored.events[draw(st.sampled_from(sorted(stored.events)))]))
        else:
            like = draw(st.sampled_from(batch)) if batch and roll == 1 else None
            batch.append(draw(live_events(draw(st.sampled_from(IDS)), instants, now, like)))
    return batch


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone = draw(st.sampled_from(ZONES))
    now = draw(nows(zone))
    instants = marks(zone, now)
    made = draw(metadata())
    stored = Stored()
    stored.users |= {user.user_id for user in made.users}
    stored.queues |= {queue.queue_id for queue in made.queues}
    steps = []
    for number in range(draw(st.integers(1, 4))):
        delete = None
        batch: list[Event] = []
        if number > 0 and draw(st.integers(0, 3)) == 0:
            delete = draw(st.sampled_from(sorted({*stored.events, ID_POOL[0]})))
            stored.delete(delete)
        else:
            batch = _batch(draw, stored, instants, now)
            stored.ingest(batch)
        steps.append(Step(batch, delete, draw(users_asks(stored.projects, stored.users)),
                          draw(queues_asks(stored))))
    return Scenario(zone, now, made, steps)


# --------------------------------------------------------------------------- running


@pytest.fixture(scope="module")
def realtime_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    url = new_database(tmp_path_factory.mktemp("realtime"), "realtime")
    service = Service.open(url)
    yield service
    service.close()
    drop_database(url)


def _same(body: bytes, fmt: str, records: list[dict[str, Any]], text: str) -> None:
    if fmt == "json":
        expected = json.dumps({"response": records, "errors": []}, ensure_ascii=False,
                              separators=(",", ":"))
        assert body.decode() == expected
    else:
        assert body.decode() == text


def check(service: Service, customer: str, scenario: Scenario, step: Step,
          stored: dict[str, Event]) -> None:
    now, made = scenario.now, scenario.metadata
    ask = step.users
    note(f"onlineusers {ask.params}")
    users = expected_online_users(stored, now, made.user_names(), ask.projects, ask.users,
                                  made.system_users() if ask.hide else set())
    event(f"online users: {min(len(users), 3)}")
    _same(service.online_users(customer, ask.params, now=now).body, ask.fmt, users,
          online_users_csv(users, "\t" if ask.fmt == "tab" else ","))
    queue_ask = step.queues
    note(f"realtime/queues {queue_ask.params}")
    queues = expected_queues(stored, now, scenario.zone, made.queue_names(),
                             queue_ask.projects, queue_ask.queues, queue_ask.manual_sla)
    event(f"queues: {min(len(queues), 2)}, offered: {sum(q['offered'] for q in queues) > 0}, "
          f"waiting: {sum(q['waiting'] for q in queues) > 0}")
    _same(service.realtime_queues(customer, queue_ask.params, now=now).body, queue_ask.fmt,
          queues, queues_csv(queues, "\t" if queue_ask.fmt == "tab" else ","))


def play(service: Service, scenario: Scenario) -> None:
    customer = f"r{next(_customer_numbers)}"
    service.create_customer(customer, timezone=scenario.zone, password="secret")
    note(f"customer {customer} in {scenario.zone}, now {scenario.now}")
    for user in scenario.metadata.users:
        service.create_user(customer, user)
    for queue in scenario.metadata.queues:
        service.create_queue(customer, queue)
    ops: list[Op] = []
    for step in scenario.steps:
        body = "".join(json.dumps(event) + "\n" for event in step.events).encode()
        run_step(service, customer, ops, step.delete, step.events, body)
        check(service, customer, scenario, step, apply_ops(ops))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                HealthCheck.data_too_large])
@given(scenario=scenarios())
def test_realtime_answers_match_oracle(realtime_service: Service, scenario: Scenario) -> None:
    play(realtime_service, scenario)
