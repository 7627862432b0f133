"""Checks of the demo's live shift (`ccstats.demo.live`) on its events, as posted or as stored.

`Row` is one event in the store's normalized form (a queue call nobody answered has
user 0, a point event ends where it starts). `Moments` follows the versions of the
events moment by moment and checks that each moment is possible:

- every agent is in exactly one user state, and a user state ends where the agent's
  next one begins;
- an agent has at most one call going on, only while ringing or in ``call``; a queue
  call going on and answered belongs to an agent in ``call`` with an answered inbound
  call;
- an ended event never changes again; an answer, once given, stays (with its agent);
  ends and answers lie within the interval, and no interval lies in the future.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from ccstats.events import MAX_INTERVAL_SECONDS

_SUBTYPE_MEMBERS = ("state", "direction", "status")


@dataclass(frozen=True, slots=True)
class Row:
    event_id: str
    type: str
    sub: str | None
    project: int
    user: int
    start: int
    answer: int | None
    end: int | None
    queue: int


def from_event(event: Mapping[str, Any]) -> Row:
    """The row the store keeps of a posted event (epoch-second timestamps)."""
    sub = next((event[m] for m in _SUBTYPE_MEMBERS if m in event), None)
    start = event.get("start", event.get("time"))
    end = event.get("end", start)
    return Row(event["id"], event["type"], sub, event["projectId"], event["userId"] or 0,
               start, event.get("answer"), end, event.get("queueId", 0))


def from_table(table: pa.Table) -> list[Row]:
    """The rows of normalized events (`ccstats.events.NORMALIZED_SCHEMA`)."""
    return [Row(r["event_id"], r["type"], r["subtype"], r["project_id"], r["user_id"],
                r["t_start"], r["t_answer"], r["t_end"], r["queue_id"])
            for r in table.to_pylist()]


@dataclass
class Moments:
    agents: frozenset[int]
    rows: dict[str, Row] = field(default_factory=dict)
    phases: dict[str, list[str]] = field(default_factory=dict)
    """The phases each queue call was seen in: waiting, talking, answered, abandoned."""

    going: dict[str, Row] = field(default_factory=dict)
    """The events going on."""

    def apply(self, rows: Iterable[Row], at: int, ended: bool = False) -> None:
        """The events as they stand at `at` (new versions, or all of them); `ended`: the
        shift has ended, nobody is in any state."""
        for row in rows:
            old = self.rows.get(row.event_id)
            if old == row:
                continue
            if old is not None:
                changed(old, row)
            valid(row, at)
            self.rows[row.event_id] = row
            if row.end is None:
                self.going[row.event_id] = row
            else:
                self.going.pop(row.event_id, None)
            if row.type == "queuecall":
                self.phases.setdefault(row.event_id, []).append(phase(row))
        self.check(ended)

    def check(self, ended: bool) -> None:
        going = list(self.going.values())
        if ended:
            assert not going, going
            return
        states = {row.user: row.sub for row in going if row.type == "userstate"}
        assert Counter(row.user for row in going if row.type == "userstate") == Counter(
            self.agents), "every agent is in exactly one state"
        calls = Counter(row.user for row in going if row.type == "call")
        assert all(count == 1 and states[user] in ("ringing", "call")
                   for user, count in calls.items())
        talking = [row.user for row in going if row.type == "queuecall" and row.answer]
        assert len(talking) == len(set(talking))
        answered_in = {row.user for row in going
                       if row.type == "call" and row.sub == "in" and row.answer is not None}
        assert all(states[user] == "call" and user in answered_in for user in talking)

    def check_contiguous(self) -> None:
        """Each agent's user states follow each other without gap or overlap."""
        for agent in self.agents:
            states = sorted((row for row in self.rows.values()
                             if row.type == "userstate" and row.user == agent),
                            key=lambda row: (row.start, row.end is None, row.end or 0))
            assert states, agent
            for before, after in itertools.pairwise(states):
                assert before.end == after.start, (before, after)


def phase(row: Row) -> str:
    if row.end is None:
        return "waiting" if row.answer is None else "talking"
    return "abandoned" if row.answer is None else "answered"


def changed(old: Row, new: Row) -> None:
    """`new` may replace `old`: an open event, closed or answered, nothing else."""
    assert old.end is None, f"an ended event changed: {old} -> {new}"
    assert (old.type, old.sub, old.project, old.start, old.queue) == (
        new.type, new.sub, new.project, new.start, new.queue)
    if old.answer is not None:
        assert (new.answer, new.user) == (old.answer, old.user)
    elif old.type != "queuecall":
        assert new.user == old.user


def valid(row: Row, at: int) -> None:
    assert row.start <= at, f"{row} starts after {at}"
    if row.end is not None:
        assert row.start <= row.end <= at
        assert row.end - row.start <= MAX_INTERVAL_SECONDS
    if row.answer is not None:
        assert row.start <= row.answer <= (at if row.end is None else row.end)
    if row.type == "queuecall":
        assert (row.user != 0) == (row.answer is not None)
