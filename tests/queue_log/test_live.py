"""`--follow` stores what goes on as open events and closes them as the log does
(realtime.md §3, docs/asterisk.md "Following a live log").

A follower runs in a thread on a real store and a real file. Lines stamped some
minutes ago are appended step by step; after each round the store's live events
(`Store.live_events`: the open intervals and the queue calls) are those the log
shows going on, and the events that have ended, and the statistics, equal those of
a plain import of the same lines: the open versions leave no trace.
"""

from __future__ import annotations

import datetime
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccstats.importers.queue_log.importer import (
    Follower,
    QueueLogReport,
    follow,
    import_logs,
)
from ccstats.service import Service
from conftest import CUSTOMER, records
from queue_log.test_cli import WAIT_SECONDS
from queue_log.test_follow import all_stored, append, polled

Live = tuple[str, str | None, str | None, int, int | None, int | None]


@dataclass(frozen=True)
class Step:
    """Lines appended (seconds after the log's start, the rest of the line) and what is
    then going on, as (type, state or direction, user, start, answer, end) in seconds
    after the log's start; queue calls are listed ended or not."""

    name: str
    lines: list[tuple[int, str]]
    live: list[Live]
    withdrawn: int = 0


def available(since: int) -> Live:
    return "userstate", "available", "2001", since, None, None


def on_break(since: int) -> Live:
    return "userstate", "break", "2001", since, None, None


def on_call(start: int, answer: int) -> list[Live]:
    return [("call", "in", "2001", start, answer, None),
            ("userstate", "call", "2001", answer, None, None)]


def queue_call(start: int, answer: int | None = None, end: int | None = None) -> Live:
    return "queuecall", None, None if answer is None else "2001", start, answer, end


ABANDONED = queue_call(60, None, 75)
TALKED = queue_call(20, 52, 112)
TIMED_OUT = queue_call(175, None, 185)
STEPS = [
    Step("member added", [(0, "MANAGER|sales|SIP/2001|ADDMEMBER|")], [available(0)]),
    # the open available time is withdrawn: it is stored once the session has ended
    Step("paused", [(10, "NONE|sales|SIP/2001|PAUSE|Lunch")], [on_break(10)], withdrawn=1),
    Step("a caller waits", [(20, "c1|sales|NONE|ENTERQUEUE||0555100|1")],
         [on_break(10), queue_call(20)]),
    Step("unpaused", [(30, "NONE|sales|SIP/2001|UNPAUSE|")], [available(30), queue_call(20)]),
    Step("rung, not answered", [(40, "c1|sales|SIP/2001|RINGNOANSWER|4000")],
         [available(40), queue_call(20)], withdrawn=1),
    Step("answered", [(52, "c1|sales|SIP/2001|CONNECT|32|c1.1|4")],
         [*on_call(48, 52), queue_call(20, 52)], withdrawn=1),
    Step("a second caller", [(60, "c2|sales|NONE|ENTERQUEUE||0555101|2")],
         [*on_call(48, 52), queue_call(20, 52), queue_call(60)]),
    Step("abandoned", [(75, "c2|sales|NONE|ABANDON|2|2|15")],
         [*on_call(48, 52), queue_call(20, 52), ABANDONED]),
    Step("completed", [(112, "c1|sales|SIP/2001|COMPLETECALLER|32|60|1")],
         [available(112), TALKED, ABANDONED]),
    Step("paused again", [(130, "NONE|sales|SIP/2001|PAUSE|")], [on_break(130), TALKED, ABANDONED],
         withdrawn=1),
    Step("removed while paused", [(140, "MANAGER|sales|SIP/2001|REMOVEMEMBER|")],
         [TALKED, ABANDONED]),
    Step("a new session", [(150, "MANAGER|sales|SIP/2001|ADDMEMBER|")],
         [available(150), TALKED, ABANDONED]),
    Step("answered again", [(160, "c3|sales|NONE|ENTERQUEUE||0555102|1"),
                            (165, "c3|sales|SIP/2001|CONNECT|5|c3.1|2")],
         [*on_call(163, 165), queue_call(160, 165), TALKED, ABANDONED], withdrawn=1),
    # the call and the queue call will never end: they are withdrawn
    Step("Asterisk restarted", [(170, "NONE|NONE|NONE|QUEUESTART|")],
         [available(150), TALKED, ABANDONED], withdrawn=3),
    Step("timed out", [(175, "c4|sales|NONE|ENTERQUEUE||0555103|1"),
                       (185, "c4|sales|NONE|EXITWITHTIMEOUT|1|1|10")],
         [available(150), TALKED, ABANDONED, TIMED_OUT]),
    Step("answered a third time", [(186, "c5|sales|NONE|ENTERQUEUE||0555104|1"),
                                   (188, "c5|sales|SIP/2001|CONNECT|2|c5.1|1")],
         [*on_call(187, 188), queue_call(186, 188), TALKED, ABANDONED, TIMED_OUT],
         withdrawn=1),
    Step("transferred", [(200, "c5|sales|SIP/2001|BLINDTRANSFER|2100|from-internal|2|12")],
         [available(200), queue_call(186, 188, 200), TALKED, ABANDONED, TIMED_OUT]),
    Step("removed", [(210, "MANAGER|sales|SIP/2001|REMOVEMEMBER|")],
         [queue_call(186, 188, 200), TALKED, ABANDONED, TIMED_OUT]),
]


@contextmanager
def following(service: Service, log: Path
              ) -> Iterator[Callable[[int], list[QueueLogReport]]]:
    """`follow` running in a thread on `log`; yields a function that waits for the round
    that has read a number of lines and answers the rounds until then (a round may read
    what was appended only in part). The follower is stopped afterwards."""
    rounds: queue.Queue[QueueLogReport | BaseException] = queue.Queue()
    stop = threading.Event()

    def run() -> None:
        try:
            follow(service, CUSTOMER, log, stop, rounds.put, poll_seconds=0.02)
        except BaseException as error:
            rounds.put(error)
            raise

    def rounds_to(lines: int) -> list[QueueLogReport]:
        reports: list[QueueLogReport] = []
        while not reports or reports[-1].lines < lines:
            found = rounds.get(timeout=WAIT_SECONDS)
            if isinstance(found, BaseException):
                raise AssertionError("the follower failed") from found
            reports.append(found)
        return reports

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield rounds_to
    finally:
        stop.set()
        thread.join(WAIT_SECONDS)


def live(service: Service, start: int) -> dict[str, Live]:
    """The live events from `start` on, by id, times in seconds after `start`."""
    users = {0: None, **{u.user_id: u.name for u in service.users(CUSTOMER)}}
    table = service._store.live_events(service.customer(CUSTOMER).customer_id, start)

    def after(moment: int | None) -> int | None:
        return None if moment is None else moment - start

    return {e["event_id"]: (e["type"], e["subtype"], users[e["user_id"]], e["t_start"] - start,
                            after(e["t_answer"]), after(e["t_end"]))
            for e in table.to_pylist()}


def ended(service: Service, start: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The stored events that have ended, and the statistics by user and hour of the
    days of the log."""
    days = [datetime.datetime.fromtimestamp(start + offset, datetime.UTC).strftime("%Y%m%d")
            for offset in (0, STEPS[-1].lines[-1][0])]
    users = {u.user_id: u.name for u in service.users(CUSTOMER)}
    projects = ",".join(str(p.project_id) for p in service.projects(CUSTOMER))
    found = records(service.query(CUSTOMER, {
        "from": days[0], "to": days[1], "projects": projects,
        "dimensions": "user,date,time"})) if projects else []
    return ([e for e in all_stored(service) if e[-1] is not None],
            sorted((users[r["userId"]], r["date"], r["time"], str(r["data"])) for r in found))


def test_the_follower_stores_what_goes_on_and_closes_it_as_the_log_does(
        service: Service, customer: str, plain: Service, tmp_path: Path) -> None:
    start = int(time.time()) - 1_000
    log, whole = tmp_path / "queue_log", tmp_path / "whole"
    log.touch()
    ever_open: dict[str, Live] = {}
    with following(service, log) as rounds_to:
        read = 0
        for step in STEPS:
            lines = [f"{start + offset}|{rest}" for offset, rest in step.lines]
            append(log, lines)
            append(whole, lines)
            read += len(lines)
            reports = rounds_to(read)
            found = live(service, start)
            assert sorted(found.values(), key=repr) == sorted(step.live, key=repr), step.name
            assert sum(r.withdrawn for r in reports) == step.withdrawn, step.name
            ever_open.update((i, e) for i, e in found.items() if e[-1] is None)
            import_logs(plain, CUSTOMER, [whole])
            assert ended(service, start) == ended(plain, start), step.name

    # every open version was replaced by its ended version under the same id, but for
    # the call and queue call given up when Asterisk restarted
    ids = {e[0] for e in all_stored(service)}
    assert sorted(e for i, e in ever_open.items() if i not in ids) == sorted(
        [*on_call(163, 165), queue_call(160, 165)])
    assert ids == {e[0] for e in all_stored(plain)}


def test_an_open_version_starting_after_the_server_clock_waits(
        service: Service, customer: str, tmp_path: Path) -> None:
    """A PBX whose clock is ahead: the server refuses an open event that starts more
    than 300 s after its clock, so that one is left out (not the round); it is stored
    once it has ended."""
    now = int(time.time())
    log = tmp_path / "queue_log"
    append(log, [f"{now}|MANAGER|sales|SIP/2001|ADDMEMBER|",
                 f"{now + 1_000}|c1|sales|NONE|ENTERQUEUE||0555100|1"])
    with closing(Follower(service, customer, log)) as follower:
        report = polled(follower)
        assert (len(report.conversion.live), report.going_on) == (2, 1)
        assert sorted(live(service, now).values()) == [available(0)]
        append(log, [f"{now + 1_010}|c1|sales|NONE|ABANDON|1|1|10"])
        polled(follower)
        assert sorted(live(service, now).values()) == [
            ("queuecall", None, None, 1_000, None, 1_010), available(0)]


def test_an_outbound_call_goes_on_from_its_first_dial_to_its_last_end(
        service: Service, customer: str, tmp_path: Path) -> None:
    """PBXware's outbound call is open from its OUTDIAL, stays open while another route
    is dialled, and is ended under the same id by the end line of the last route."""
    start = int(time.time()) - 100
    log = tmp_path / "queue_log"
    dialling: list[Live] = [("call", "out", "1127", 0, None, None),
                            ("userstate", "call", "1127", 0, None, None)]
    steps = [
        ([(0, "OUTDIAL|0555|from-internal||")], dialling),
        ([(20, "OUTCHANUNAVAIL|0555|from-internal|20|0"), (21, "OUTDIAL|0555|from-internal||")],
         dialling),
        ([(80, "OUTANSWER|0555|from-internal|9|50")], []),
    ]
    opened: set[str] = set()
    with closing(Follower(service, customer, log)) as follower:
        for lines, going in steps:
            append(log, [f"{start + offset}|o1|NONE|Agent/1127|{rest}" for offset, rest in lines])
            polled(follower)
            found = live(service, start)
            assert sorted(found.values(), key=repr) == going
            opened.update(found)
    ended_calls = {e[0]: e[1:] for e in all_stored(service)}
    assert sorted(ended_calls[i] for i in opened) == [
        ("call", "out", "No queue", "1127", start, start + 30, start + 80),
        ("userstate", "call", "No queue", "1127", start, None, start + 80)]
