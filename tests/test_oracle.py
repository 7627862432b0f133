"""Property tests: the real engine (through ``ccstats.service.Service``) against the oracle.

Hypothesis draws a customer time zone, a sequence of storage steps and, at a few
checkpoints, random queries. The steps are atomic batches of valid events of every type
(ids drawn from a small pool, so batches replace earlier events, repeat ids within one
batch, and re-send identical events) and deletions (of stored and of unknown ids). The
event times cluster around the 2024-2025 DST transitions and local midnights of the
zone, interval lengths cluster on 0 and on quarter-hour multiples, and timestamps come
as ISO strings with assorted offsets (and fractional seconds) or as integer/float epoch
numbers. Every query's answer (JSON, csv or tab) must equal what ``oracle.py`` computes
from the events that should be stored at that moment.

Those scenarios hold at most ten events, near one or two instants. Busy days
(`busy_scenarios`) add the volume: a few hundred events, many of them over an hour
long, over two to five days (so that sums cross many quarter-hours, days and often a
DST change), then replaced, repeated and deleted in part, and asked for the whole
answer (every dimension and field) as well as random queries.

One ``Service`` (one temporary database, see ``backends.py``) serves the whole module;
each example uses a fresh customer, so examples never see each other's data.
``CCSTATS_ORACLE_EXAMPLES`` sets the number of examples of both property tests for
longer hunts (default: the hypothesis profile of ``conftest.py``, 60 on DuckDB and 20
on ClickHouse, and a third of that for busy days).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from backends import drop_database, new_database
from ccstats.events import MAX_EPOCH, MIN_EPOCH
from ccstats.pipeline import parts
from ccstats.pipeline.plan import plan_of
from ccstats.pipeline.sql import record_estimate_sql
from ccstats.query import Endpoint
from ccstats.service import Service
from ccstats.store.selection import EventSelection
from oracle import CATALOG, Event, Op, apply_ops, expected_csv, expected_response, parse_timestamp

ZONES: tuple[str, ...] = (
    "Europe/Budapest",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
)
#: The zones of the busy days: also two with DST on a half-hour (St John's) or on a
#: quarter-hour (Chatham) offset.
BUSY_ZONES: tuple[str, ...] = (*ZONES, "America/St_Johns", "Pacific/Chatham")
OTHER_ZONES: tuple[str, ...] = (*BUSY_ZONES, "UTC")
DIMENSIONS: tuple[str, ...] = ("project", "user", "date", "time")
ID_POOL: tuple[str, ...] = (
    *(f"ev-{i}" for i in range(8)),
    "A.b_c:D-9",
    "x" * 128,
)
ISO_OFFSETS_MINUTES: tuple[int, ...] = (0, 60, 120, -300, -240, 330, 345, 630, 660, -570, 840)
USERSTATES: tuple[str, ...] = (
    "available",
    "call",
    "afterwork",
    "prework",
    "ringing",
    "waitingForCall",
    "waitingForRecall",
    "break",
    "unavailable",
)

_customer_numbers = itertools.count()


# --------------------------------------------------------------------------- anchors


def _transitions(zone: str) -> list[int]:
    """Epoch seconds of every UTC-offset change of ``zone`` in 2024-2025 (exact to the minute)."""
    tz = ZoneInfo(zone)

    def offset(t: int) -> timedelta | None:
        return datetime.fromtimestamp(t, tz).utcoffset()

    found: list[int] = []
    t = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
    stop = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    while t < stop:
        if offset(t) != offset(t + 3600):
            low, high = t, t + 3600  # offset(low) differs from offset(high)
            while high - low > 60:
                mid = (low + high) // 120 * 60
                if mid in (low, high):
                    break
                if offset(mid) == offset(low):
                    low = mid
                else:
                    high = mid
            found.append(high)
        t += 3600
    return found


def _midnights(zone: str, days: Sequence[date]) -> list[int]:
    tz = ZoneInfo(zone)
    return [int(datetime(d.year, d.month, d.day, tzinfo=tz).timestamp()) for d in days]


def _anchors(zone: str) -> tuple[int, ...]:
    """Instants worth testing around: DST transitions and some local midnights."""
    transitions = _transitions(zone)
    tz = ZoneInfo(zone)
    days = {date(2024, 2, 29), date(2024, 12, 31), date(2025, 1, 1), date(2025, 6, 30)}
    for t in transitions:
        day = datetime.fromtimestamp(t, tz).date()
        days |= {day, day + timedelta(days=1)}
    return tuple(sorted({*transitions, *_midnights(zone, sorted(days))}))


ANCHORS: dict[str, tuple[int, ...]] = {zone: _anchors(zone) for zone in BUSY_ZONES}
TRANSITIONS: dict[str, tuple[int, ...]] = {zone: tuple(_transitions(zone)) for zone in ZONES}


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Stamp:
    """One timestamp: the whole epoch second plus how it is written in the JSON."""

    second: int
    kind: str  # int | float | iso | iso-ms | iso-us | iso-z
    fraction: int  # thousandths for float/iso-ms/iso-z, millionths for iso-us
    offset_minutes: int

    def raw(self) -> Fraction:
        """The exact instant the JSON value denotes (before flooring)."""
        if self.kind == "float":
            return Fraction(self.second + self.fraction / 1000)
        if self.kind == "iso-us":
            return self.second + Fraction(self.fraction, 1_000_000)
        if self.kind in ("iso-ms", "iso-z"):
            return self.second + Fraction(self.fraction, 1000)
        return Fraction(self.second)

    def encode(self) -> int | float | str:
        if self.kind == "int":
            return self.second
        if self.kind == "float":
            return self.second + self.fraction / 1000
        if self.kind == "iso-z":
            instant = datetime.fromtimestamp(self.second, UTC)
            text = instant.replace(microsecond=self.fraction * 1000).isoformat(
                timespec="milliseconds"
            )
            return text.replace("+00:00", "Z")
        tz = timezone(timedelta(minutes=self.offset_minutes))
        local = datetime.fromtimestamp(self.second, tz)
        if self.kind == "iso-ms":
            return local.replace(microsecond=self.fraction * 1000).isoformat(
                timespec="milliseconds"
            )
        if self.kind == "iso-us":
            return local.replace(microsecond=self.fraction).isoformat(timespec="microseconds")
        return local.isoformat()

    def whole(self) -> Stamp:
        return Stamp(self.second, self.kind, 0, self.offset_minutes)


@st.composite
def stamps(draw: st.DrawFn, second: int) -> Stamp:
    kind = draw(st.sampled_from(["int", "float", "iso", "iso-ms", "iso-us", "iso-z"]))
    if kind == "iso-us":
        fraction = draw(st.one_of(st.just(0), st.integers(0, 999_999)))
    elif kind in ("float", "iso-ms", "iso-z"):
        fraction = draw(st.one_of(st.just(0), st.just(999), st.integers(0, 999)))
    else:
        fraction = 0
    offset = draw(st.sampled_from(ISO_OFFSETS_MINUTES))
    stamp = Stamp(second, kind, fraction, offset)
    assert parse_timestamp(stamp.encode()) == second
    return stamp


def _ordered(raw_stamps: list[Stamp]) -> list[Stamp]:
    """Drop the fractions if they would make the *unfloored* instants go backwards."""
    values = [s.raw() for s in raw_stamps]
    if all(a <= b for a, b in itertools.pairwise(values)):
        return raw_stamps
    return [s.whole() for s in raw_stamps]


DELTAS = st.one_of(
    st.integers(-4 * 3600, 4 * 3600),
    st.integers(-16, 16).map(lambda k: k * 900),
    st.tuples(st.integers(-16, 16), st.integers(-2, 2)).map(lambda p: p[0] * 900 + p[1]),
)
LENGTHS = st.one_of(
    st.just(0),
    st.sampled_from([1, 59, 60, 61, 899, 900, 1800, 3600, 5400, 7200, 10800]),
    st.integers(0, 120),
    st.integers(0, 3 * 3600 + 900),
)


@st.composite
def event_bodies(draw: st.DrawFn, anchors: tuple[int, ...], event_id: str) -> Event:
    """One random valid event of any type, timed near one of ``anchors``."""
    start = draw(st.sampled_from(anchors)) + draw(DELTAS)
    kind = draw(st.sampled_from(["userstate", "call", "disposition", "email", "ticket", "chat"]))
    event: Event = {"id": event_id, "type": kind}
    if kind in ("disposition", "email", "ticket"):
        if kind == "disposition":
            event["status"] = draw(st.sampled_from(["success", "recall", "failed", "reachFailed"]))
        elif kind == "email":
            event["direction"] = draw(st.sampled_from(["sent", "received"]))
        else:
            event["action"] = draw(st.sampled_from(["created", "closed"]))
        event["time"] = draw(stamps(start)).encode()
    else:
        end = start + draw(LENGTHS)
        if kind == "userstate":
            event["state"] = draw(st.sampled_from(USERSTATES))
        if kind == "call":
            event["direction"] = draw(st.sampled_from(["in", "out"]))
            answered = draw(st.booleans())
            if answered:
                answer = draw(st.sampled_from([start, end]) | st.integers(start, end))
                s, a, e = _ordered([draw(stamps(start)), draw(stamps(answer)), draw(stamps(end))])
                event["start"], event["answer"], event["end"] = s.encode(), a.encode(), e.encode()
            else:
                s, e = _ordered([draw(stamps(start)), draw(stamps(end))])
                event["start"], event["answer"], event["end"] = s.encode(), None, e.encode()
        else:
            s, e = _ordered([draw(stamps(start)), draw(stamps(end))])
            event["start"], event["end"] = s.encode(), e.encode()
        still_going(draw, event, start)
    event["projectId"] = draw(st.integers(1, 3))
    event["userId"] = draw(st.integers(1, 3))
    if draw(st.integers(0, 9)) == 0:
        event["comment"] = "unknown members are ignored"
    return event


def still_going(draw: st.DrawFn, event: Event, start: int) -> None:
    """Now and then, make the interval `event` open (``end`` null, realtime.md §1): it must
    add nothing until a replacement closes it. Only an interval that has started may be."""
    if start <= time.time() and draw(st.integers(0, 5)) == 0:
        event["end"] = None


# --------------------------------------------------------------------------- scenario


@dataclass
class Query:
    """One request's options (as the service gets them) and the oracle's view of them."""

    params: dict[str, str]
    zone: str
    interval: int
    date_from: date
    date_to: date
    dimensions: list[str]
    fields: list[str] | None
    projects: set[int] | None
    users: set[int] | None
    fmt: str


@dataclass
class Step:
    """A batch of events to ingest (``events``), an id to delete (``delete``) or the
    events to withdraw at once (``withdraw``: those of a user, or ended before a moment)."""

    events: list[Event] = field(default_factory=list)
    as_array: bool = False
    delete: str | None = None
    withdraw: EventSelection | None = None
    queries: list[Query] = field(default_factory=list)


@dataclass
class Scenario:
    zone: str
    steps: list[Step]


def _instants(event: Event) -> list[int]:
    return [parse_timestamp(event[k]) for k in ("start", "end", "time")
            if event.get(k) is not None]


def _event_days(zone: str, stored: dict[str, Event]) -> tuple[date, date]:
    """The first and last local date in `zone` of a moment of the stored events."""
    tz = ZoneInfo(zone)
    days = sorted(
        datetime.fromtimestamp(t, tz).date() for event in stored.values() for t in _instants(event)
    ) or [date(2024, 10, 27)]
    return days[0], days[-1]


@dataclass
class Frame:
    """The options every statistics resource shares: zone, interval, dimensions, dates,
    format (`params` as the service gets them, the rest the oracle's view of them)."""

    params: dict[str, str]
    zone: str
    interval: int
    date_from: date
    date_to: date
    dimensions: list[str]
    fmt: str


@st.composite
def frames(draw: st.DrawFn, customer_zone: str, anchor_zone: str, stored: dict[str, Event],
           dimension_names: tuple[str, ...]) -> Frame:
    """Random shared options of a query about `stored`, of `dimension_names`."""
    params: dict[str, str] = {}
    # The events' own zone is the most interesting one to ask in.
    tz_param = draw(st.none() | st.just(anchor_zone) | st.sampled_from(OTHER_ZONES))
    zone = customer_zone if tz_param is None else tz_param
    if tz_param is not None:
        params["timezone"] = tz_param

    interval_param = draw(st.sampled_from([None, "15", "30", "60"]))
    interval = 60 if interval_param is None else int(interval_param)
    if interval_param is not None:
        params["interval"] = interval_param

    order = draw(st.permutations(dimension_names))
    dimensions = list(order[: draw(st.integers(1, len(order)))])
    spaced = draw(st.booleans())
    params["dimensions"] = (" , " if spaced else ",").join(dimensions)

    low, high = _event_days(zone, stored)
    if draw(st.integers(0, 3)) == 0:  # a range that cuts through the data
        offsets = st.integers(0, (high - low).days)
        date_from = low + timedelta(days=draw(offsets))
        date_to = date_from + timedelta(days=draw(st.integers(0, (high - date_from).days)))
    else:
        date_from = low - timedelta(days=draw(st.integers(0, 1)))
        date_to = high + timedelta(days=draw(st.integers(0, 1)))
    params["from"] = date_from.strftime("%Y%m%d")
    params["to"] = date_to.strftime("%Y%m%d")

    fmt_param = draw(st.sampled_from([None, "json", "csv", "cvs", "tab"]))
    if fmt_param is not None:
        params["of"] = fmt_param
    fmt = {None: "json", "cvs": "csv"}.get(fmt_param, fmt_param) or "json"
    return Frame(params, zone, interval, date_from, date_to, dimensions, fmt)


def id_filter(draw: st.DrawFn, seen: set[int]) -> set[int] | None:
    """Half of the time, some of the ids `seen` (None: no filter)."""
    if draw(st.booleans()) and seen:
        return set(draw(st.lists(st.sampled_from(sorted(seen)), min_size=1)))
    return None


def listed(ids: set[int]) -> str:
    return ",".join(str(i) for i in sorted(ids))


@st.composite
def queries(
    draw: st.DrawFn,
    customer_zone: str,
    anchor_zone: str,
    stored: dict[str, Event],
    projects_seen: set[int],
    users_seen: set[int],
) -> Query:
    frame = draw(frames(customer_zone, anchor_zone, stored, DIMENSIONS))
    params = frame.params
    fields: list[str] | None = draw(
        st.one_of(
            st.none(),
            st.lists(st.sampled_from(CATALOG), min_size=1, max_size=8),
            st.permutations(CATALOG).map(list),
        )
    )
    if fields is not None:
        params["fields"] = ",".join(fields)
    projects = id_filter(draw, projects_seen)
    if projects is not None:
        params["projects"] = listed(projects)
    users = id_filter(draw, users_seen)
    if users is not None:
        params["users"] = listed(users)
    return Query(params, frame.zone, frame.interval, frame.date_from, frame.date_to,
                 frame.dimensions, fields, projects, users, frame.fmt)


@dataclass
class Stored:
    """What a scenario's steps so far should have stored, and the ids they registered."""

    events: dict[str, Event] = field(default_factory=dict)
    projects: set[int] = field(default_factory=set)
    users: set[int] = field(default_factory=set)
    queues: set[int] = field(default_factory=set)

    def ingest(self, batch: list[Event]) -> None:
        ops: list[Op] = [("put", e) for e in self.events.values()]
        self.events = apply_ops([*ops, *(("put", e) for e in batch)])
        # Only the surviving occurrence of an id is surely stored (and registered).
        winners = apply_ops(("put", e) for e in batch).values()
        self.projects |= {int(e["projectId"]) for e in winners}
        self.users |= {int(e["userId"]) for e in winners if e.get("userId") is not None}
        self.queues |= {int(e["queueId"]) for e in winners if "queueId" in e}

    def delete(self, event_id: str) -> None:
        self.events.pop(event_id, None)

    def withdraw(self, selection: EventSelection) -> None:
        self.events = {event_id: event for event_id, event in self.events.items()
                       if not taken(selection, event)}

    def query(self, draw: st.DrawFn, customer_zone: str, anchor_zone: str) -> Query:
        """A random query (`queries`) about these events."""
        return draw(queries(customer_zone, anchor_zone, dict(self.events), self.projects,
                            self.users))


def taken(selection: EventSelection, event: Event) -> bool:
    """Whether `selection` takes stored event `event` (the oracle's reading of
    `EventSelection`: a point event ends at its time, an open one counts from its start)."""
    if selection.user_id is not None and (event.get("userId") is None
                                          or int(event["userId"]) != selection.user_id):
        return False
    if selection.ended_before is None:
        return True
    ended = event.get("time", event.get("end"))
    moment = parse_timestamp(event["start"] if ended is None else ended)
    return moment < selection.ended_before


@st.composite
def selections(draw: st.DrawFn, stored: Stored) -> EventSelection:
    """A withdrawal: the events of a known user, or those ended before an instant of the
    stored events (give or take a second), or both."""
    instants = sorted({moment + shift for event in stored.events.values()
                       for moment in _instants(event) for shift in (-1, 0, 1)})
    user = draw(st.sampled_from(sorted(stored.users))) if stored.users else None
    moment = draw(st.sampled_from(instants)) if instants else 0
    which = draw(st.sampled_from(("user", "moment", "both"))) if user is not None else "moment"
    return EventSelection(user_id=None if which == "moment" else user,
                          ended_before=None if which == "user" else moment)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    anchor_zone = draw(st.sampled_from(ZONES))
    customer_zone = draw(st.just(anchor_zone) | st.sampled_from(ZONES))
    anchors = ANCHORS[anchor_zone]
    transitions = TRANSITIONS[anchor_zone] or anchors
    first = draw(st.sampled_from(transitions) | st.sampled_from(anchors))
    # At most two anchors, less than 200 days apart (a query may span at most 366 days).
    close = [a for a in anchors if abs(a - first) < 200 * 86400]
    near_anchors = (*draw(st.lists(st.sampled_from(close), max_size=1)), first)

    stored = Stored()
    steps: list[Step] = []
    for number in range(draw(st.integers(1, 5))):
        if number > 0 and draw(st.integers(0, 7)) == 0:
            selection = draw(selections(stored))
            steps.append(Step(withdraw=selection))
            stored.withdraw(selection)
        elif number > 0 and draw(st.integers(0, 3)) == 0:
            # Delete a stored id, or one that may be unknown.
            target = draw(st.sampled_from(sorted({*stored.events, *ID_POOL[:3]})))
            steps.append(Step(delete=target))
            stored.delete(target)
        else:
            batch: list[Event] = []
            for _ in range(draw(st.integers(1, 6))):
                if stored.events and draw(st.integers(0, 4)) == 0:  # identical re-put
                    batch.append(dict(stored.events[draw(st.sampled_from(sorted(stored.events)))]))
                else:  # new id, replacement of a stored id, or an id repeated in the batch
                    event_id = draw(st.sampled_from(ID_POOL))
                    batch.append(draw(event_bodies(near_anchors, event_id)))
            steps.append(Step(events=batch, as_array=draw(st.booleans())))
            stored.ingest(batch)
        if draw(st.integers(0, 4)) == 0:  # an intermediate checkpoint
            steps[-1].queries.append(stored.query(draw, customer_zone, anchor_zone))
    for _ in range(2):
        steps[-1].queries.append(stored.query(draw, customer_zone, anchor_zone))
    return Scenario(customer_zone, steps)


# --------------------------------------------------------------------------- busy days


def _random_stamp(rng: random.Random, second: int) -> Stamp:
    """`second` written in a random way (as `stamps` draws, but from `rng`)."""
    kind = rng.choice(["int", "int", "float", "iso", "iso-ms", "iso-us", "iso-z"])
    fraction = 0
    if kind == "iso-us":
        fraction = rng.randrange(1_000_000)
    elif kind in ("float", "iso-ms", "iso-z"):
        fraction = rng.randrange(1000)
    return Stamp(second, kind, fraction, rng.choice(ISO_OFFSETS_MINUTES))


def _written(rng: random.Random, seconds: list[int]) -> list[int | float | str]:
    """Ordered instants as JSON timestamps (their unfloored values still in order)."""
    return [s.encode() for s in _ordered([_random_stamp(rng, t) for t in seconds])]


def _busy_length(rng: random.Random) -> int:
    """Mostly up to 90 minutes; some zero, some whole quarter-hours (give or take a
    second), some up to four hours and a few up to the longest allowed, a day."""
    roll = rng.random()
    if roll < 0.08:
        return 0
    if roll < 0.18:
        return rng.randint(1, 16) * 900 + rng.choice((-1, 0, 1))
    if roll < 0.8:
        return rng.randint(1, 5400)
    if roll < 0.95:
        return rng.randint(5400, 4 * 3600)
    return rng.randint(4 * 3600, 86_400)


def _busy_event(rng: random.Random, event_id: str, first: int, last: int) -> Event:
    """One random valid event starting in [first, last), a third of them on or a second
    off a quarter-hour boundary."""
    start = rng.randrange(first, last)
    if rng.random() < 0.3:
        start += -(start % 900) + rng.choice((-1, 0, 1))
    end = start + _busy_length(rng)
    kind = rng.choices(["userstate", "call", "disposition", "email", "ticket", "chat"],
                       weights=[4, 4, 1, 1, 1, 2])[0]
    event: Event = {"id": event_id, "type": kind}
    if kind == "userstate":
        event["state"] = rng.choice(USERSTATES)
    elif kind == "call":
        event["direction"] = rng.choice(["in", "out"])
    elif kind == "disposition":
        event["status"] = rng.choice(["success", "recall", "failed", "reachFailed"])
    elif kind == "email":
        event["direction"] = rng.choice(["sent", "received"])
    elif kind == "ticket":
        event["action"] = rng.choice(["created", "closed"])
    if kind in ("disposition", "email", "ticket"):
        (event["time"],) = _written(rng, [start])
    elif kind == "call" and rng.random() < 0.7:
        answer = rng.choice([start, end, rng.randint(start, end)])
        event["start"], event["answer"], event["end"] = _written(rng, [start, answer, end])
    else:
        event["start"], event["end"] = _written(rng, [start, end])
        if kind == "call":
            event["answer"] = None
    event["projectId"] = rng.randint(1, 3)
    event["userId"] = rng.randint(1, 4)
    return event


@st.composite
def covering_queries(draw: st.DrawFn, customer_zone: str, anchor_zone: str,
                     stored: dict[str, Event]) -> Query:
    """The largest answer: every dimension (in a random order) and field, every project
    and user, from the first to the last date of the stored events (JSON)."""
    tz_param = draw(st.none() | st.just(anchor_zone) | st.sampled_from(OTHER_ZONES))
    zone = customer_zone if tz_param is None else tz_param
    interval = draw(st.sampled_from([15, 30, 60]))
    dimensions = list(draw(st.permutations(DIMENSIONS)))
    date_from, date_to = _event_days(zone, stored)
    params = {"from": date_from.strftime("%Y%m%d"), "to": date_to.strftime("%Y%m%d"),
              "dimensions": ",".join(dimensions), "interval": str(interval)}
    if tz_param is not None:
        params["timezone"] = tz_param
    return Query(params, zone, interval, date_from, date_to, dimensions, None, None, None,
                 "json")


@st.composite
def busy_scenarios(draw: st.DrawFn) -> Scenario:
    """A few hundred events of 3 projects and 4 users over two to five days around a DST
    change or a local midnight, stored in a few batches; then a batch that replaces an
    eighth of them (an id up to three times: the last wins) and sends some again
    unchanged, and a few deletions. The events come from a seeded `random.Random`
    (hypothesis draws the seed): a few hundred drawn one by one would overrun
    hypothesis's buffer. Queried after the first batch and, at the end, with the
    largest answer and three random queries."""
    anchor_zone = draw(st.sampled_from(BUSY_ZONES))
    customer_zone = draw(st.just(anchor_zone) | st.sampled_from(BUSY_ZONES))
    days = draw(st.integers(2, 5))
    first = draw(st.sampled_from(ANCHORS[anchor_zone])) - draw(st.integers(0, 24 * days)) * 3600
    last = first + days * 86_400
    count = draw(st.integers(100, 400))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))

    stored = Stored()
    steps: list[Step] = []
    events = [_busy_event(rng, f"b{number}", first, last) for number in range(count)]
    cuts = sorted(rng.sample(range(1, count), rng.randint(0, 3)))
    for low, high in itertools.pairwise([0, *cuts, count]):
        steps.append(Step(events=events[low:high], as_array=rng.random() < 0.5))
        stored.ingest(events[low:high])
        if low == 0:
            steps[0].queries.append(stored.query(draw, customer_zone, anchor_zone))

    ids = sorted(stored.events)
    replacements = [_busy_event(rng, event_id, first, last)
                    for event_id in rng.sample(ids, count // 8)
                    for _ in range(rng.choice([1, 1, 2, 3]))]
    again = [dict(stored.events[event_id]) for event_id in rng.sample(ids, count // 20)]
    batch = rng.sample(replacements + again, len(replacements) + len(again))
    steps.append(Step(events=batch, as_array=rng.random() < 0.5))
    stored.ingest(batch)
    for event_id in [*rng.sample(ids, 3), "never-stored"]:
        steps.append(Step(delete=event_id))
        stored.delete(event_id)

    steps[-1].queries.append(draw(covering_queries(customer_zone, anchor_zone,
                                                   dict(stored.events))))
    for _ in range(3):
        steps[-1].queries.append(stored.query(draw, customer_zone, anchor_zone))
    return Scenario(customer_zone, steps)


# --------------------------------------------------------------------------- the test


@pytest.fixture(scope="module")
def oracle_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    url = new_database(tmp_path_factory.mktemp("oracle"), "oracle")
    svc = Service.open(url)
    yield svc
    svc.close()
    drop_database(url)


def _ndjson(events: list[Event], as_array: bool) -> bytes:
    if as_array:
        return json.dumps(events).encode()
    return "".join(json.dumps(event) + "\n" for event in events).encode()


def _expected(query: Query, stored: dict[str, Event]) -> list[dict[str, Any]]:
    return expected_response(
        stored.values(),
        zone=query.zone,
        interval=query.interval,
        date_from=query.date_from,
        date_to=query.date_to,
        dimensions=query.dimensions,
        fields=query.fields,
        projects=query.projects,
        users=query.users,
    )


def answers(service: Service, customer: str, params: dict[str, str],
            endpoint: Endpoint = Endpoint.USERBASED) -> list[bytes]:
    """The answer in one part, and in some eight parts (every part its own statement
    and batch of cells, records rendered across them); both are checked.

    The parts are sized from the store's estimate of the answer's records, so that
    a query of many users and slots is not cut into thousands of statements."""
    found = [service.query(customer, params, endpoint)]
    plan = plan_of(service.plan(customer, params, endpoint))
    store = service._store
    estimate = store.scalar(record_estimate_sql(plan, store.visible_sums(plan.customer_id)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parts, "RECORDS_PER_PART", max(estimate // 5, 1))
        patch.setattr(parts, "FIRST_PART_RECORDS", max(estimate // 20, 1))
        found.append(service.query(customer, params, endpoint))
    return found


def check_query(service: Service, customer: str, query: Query, stored: dict[str, Event]) -> None:
    expected = _expected(query, stored)
    for body in answers(service, customer, dict(query.params)):
        _check_answer(body, query, expected)


def _check_answer(body: bytes, query: Query, records: list[dict[str, Any]]) -> None:
    if query.fmt == "json":
        answer = orjson.loads(body)
        assert list(answer) == ["response", "errors"]
        assert answer["errors"] == []
        # json.dumps keeps key order: equal text means equal values, types and key order.
        got = json.dumps(answer["response"], indent=1)
        want = json.dumps(records, indent=1)
        assert got == want
    else:
        sep = "," if query.fmt == "csv" else "\t"
        assert body.decode() == expected_csv(records, query.dimensions, sep)


def _examples(default: int) -> int:
    return int(os.environ.get("CCSTATS_ORACLE_EXAMPLES", default))


def run_step(service: Service, customer: str, ops: list[Op], delete: str | None,
             events: list[Event], body: bytes, withdraw: EventSelection | None = None) -> None:
    """Delete `delete` (found iff it is stored), or withdraw what `withdraw` takes, or else
    ingest `body`, the text of `events`; note what was done in `ops`."""
    if delete is not None:
        known = delete in apply_ops(ops)
        note(f"delete {delete!r} (stored: {known})")
        assert service.delete_event(customer, delete) is known
        ops.append(("delete", delete))
        return
    if withdraw is not None:
        gone = [event_id for event_id, event in apply_ops(ops).items()
                if taken(withdraw, event)]
        note(f"withdraw {withdraw} (stored: {gone})")
        assert service.withdraw_events(customer, withdraw) == len(gone)
        ops += [("delete", event_id) for event_id in gone]
        return
    note(f"ingest {body.decode()}")
    stored_count = service.ingest(customer, body)
    # "number stored" is not pinned down further than this by the spec.
    assert 0 <= stored_count <= len(events)
    ops += [("put", event) for event in events]


def play(service: Service, scenario: Scenario) -> None:
    """Run `scenario` for a new customer; every query must give the oracle's answer."""
    customer = f"c{next(_customer_numbers)}"
    service.create_customer(customer, timezone=scenario.zone, password="secret")
    note(f"customer {customer} in {scenario.zone}")
    ops: list[Op] = []
    for step in scenario.steps:
        run_step(service, customer, ops, step.delete, step.events,
                 _ndjson(step.events, step.as_array), step.withdraw)
        for query in step.queries:
            note(f"query {query.params}")
            check_query(service, customer, query, apply_ops(ops))


@settings(
    max_examples=_examples(max(settings().max_examples // 3, 4)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=busy_scenarios())
def test_busy_days_match_oracle(oracle_service: Service, scenario: Scenario) -> None:
    play(oracle_service, scenario)


@settings(
    max_examples=_examples(settings().max_examples),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios())
def test_engine_matches_oracle(oracle_service: Service, scenario: Scenario) -> None:
    play(oracle_service, scenario)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("grain", ["quarter-hour", "local hour", "local day"])
def test_every_quarter_hour_around_transitions(oracle_service: Service, zone: str,
                                               grain: str) -> None:
    """A deterministic sweep: one ticket per UTC quarter-hour (plus one a second before it)
    from 12 h before to 12 h after each 2024 transition (or a midnight), each on its own
    user; every ticket must land in the oracle's bucket. Asked in another zone than the
    customer's with ``interval=15`` (quarter-hour sums), or in the customer's own zone
    hourly (local-hour sums) or by date only (local-day sums)."""
    tz = ZoneInfo(zone)
    centers = [t for t in ANCHORS[zone] if datetime.fromtimestamp(t, tz).year == 2024][:2]
    for center in centers:
        customer = f"c{next(_customer_numbers)}"
        # Asked in another zone, the query names it: also exercises ``timezone``.
        service_zone = "UTC" if grain == "quarter-hour" else zone
        oracle_service.create_customer(customer, timezone=service_zone, password="secret")
        instants = [
            t + d for t in range(center - 12 * 3600, center + 12 * 3600, 900) for d in (-1, 0)
        ]
        events: list[Event] = [
            {
                "id": f"t{i}",
                "type": "ticket",
                "action": "created",
                "time": t,
                "projectId": 1,
                "userId": i + 1,
            }
            for i, t in enumerate(instants)
        ]
        oracle_service.ingest(customer, _ndjson(events, as_array=False))
        days = sorted({datetime.fromtimestamp(t, tz).date() for t in instants})
        dimensions = ["user", "date"] if grain == "local day" else ["user", "date", "time"]
        params = {"from": days[0].strftime("%Y%m%d"), "to": days[-1].strftime("%Y%m%d"),
                  "dimensions": ",".join(dimensions)}
        if grain == "quarter-hour":
            params |= {"timezone": zone, "interval": "15"}
        query = Query(
            params=params,
            zone=zone,
            interval=15 if grain == "quarter-hour" else 60,
            date_from=days[0],
            date_to=days[-1],
            dimensions=dimensions,
            fields=None,
            projects=None,
            users=None,
            fmt="json",
        )
        stored = {str(e["id"]): e for e in events}
        check_query(oracle_service, customer, query, stored)


#: The zones farthest west and east of UTC: -12, -11, +14 (constant), +14 (since 1995).
FARTHEST_ZONES = ("Etc/GMT+12", "Pacific/Pago_Pago", "Etc/GMT-14", "Pacific/Kiritimati")


def _ends_of_the_range(zone: str) -> list[list[Event]]:
    """Events at the first and at the last accepted second, one list per end.

    Pacific/Kiritimati was at -10:40 in 1970, an offset that is no multiple of 15
    minutes (such moments are bucketed by the offset at their quarter-hour, where the
    oracle follows the minute): there, only the last second is taken.
    """
    first, last = MIN_EPOCH, MAX_EPOCH - 1

    def ticket(event_id: str, t: int) -> Event:
        return {"id": event_id, "type": "ticket", "action": "created", "time": t,
                "projectId": 1, "userId": 1}

    def state(event_id: str, start: int, end: int) -> Event:
        return {"id": event_id, "type": "userstate", "state": "available", "start": start,
                "end": end, "projectId": 1, "userId": 2}

    ends = [[ticket("last", last), state("day-before-last", last - 86_400, last),
             state("quarter-before-last", last - 899, last)]]
    if zone != "Pacific/Kiritimati":
        ends.append([ticket("first", first), state("first-day", first, first + 86_400),
                     state("first-quarter", first, first + 900)])
    return ends


@pytest.mark.parametrize("zone", FARTHEST_ZONES)
@pytest.mark.parametrize("grain", ["quarter-hour", "local hour", "local day"])
def test_the_ends_of_the_accepted_range_are_found_in_every_zone(
        oracle_service: Service, zone: str, grain: str) -> None:
    """1970-01-01T00:00:00Z is 1969-12-31 west of UTC and 2099-12-31T23:59:59Z is
    2100-01-01 far east of it: a query names those dates and finds the events there, at
    every grain of the sums, whole and in parts."""
    tz = ZoneInfo(zone)
    for events in _ends_of_the_range(zone):
        customer = f"c{next(_customer_numbers)}"
        service_zone = "UTC" if grain == "quarter-hour" else zone
        oracle_service.create_customer(customer, timezone=service_zone, password="secret")
        oracle_service.ingest(customer, _ndjson(events, as_array=False))
        days = sorted({datetime.fromtimestamp(t, tz).date()
                       for event in events for t in _instants(event)})
        dimensions = ["user", "date"] if grain == "local day" else ["date", "time", "user"]
        params = {"from": days[0].strftime("%Y%m%d"), "to": days[-1].strftime("%Y%m%d"),
                  "dimensions": ",".join(dimensions)}
        if grain == "quarter-hour":
            params |= {"timezone": zone, "interval": "15"}
        query = Query(params=params, zone=zone, interval=15 if grain == "quarter-hour" else 60,
                      date_from=days[0], date_to=days[-1], dimensions=dimensions, fields=None,
                      projects=None, users=None, fmt="json")
        stored = {str(e["id"]): e for e in events}
        found = {record["date"] for record in _expected(query, stored)}
        assert found == {day.isoformat() for day in days}
        check_query(oracle_service, customer, query, stored)
