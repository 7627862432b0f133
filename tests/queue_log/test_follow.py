"""Following a queue_log across rotations stores what a plain import of the parts stores.

Each test follows a real file with a `Follower` on a real store, rotates the file the
way logrotate does, and compares the events and statistics stored with those of
`import_logs` of the rotated parts (`ccstats import --format queue_log part1 part2`)
on a second database.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from ccstats.importers.queue_log.importer import Follower, QueueLogReport, import_logs
from ccstats.service import Service
from conftest import CUSTOMER, records
from queue_log.synthetic import ENDING, LINES, text
from queue_log.test_samples import FREEPBX

#: The line the FreePBX sample is cut at: the new file is longer than the old one.
FREEPBX_CUT = 100


def all_stored(service: Service) -> list[tuple[Any, ...]]:
    """The stored events, with names instead of ids (ids depend on the order in which
    names were first seen; an unanswered queue call has no user)."""
    customer_id = service.customer(CUSTOMER).customer_id
    projects = {p.project_id: p.name for p in service.projects(CUSTOMER)}
    users = {0: None, **{u.user_id: u.name for u in service.users(CUSTOMER)}}
    return sorted(
        (e["event_id"], e["type"], e["subtype"], projects[e["project_id"]],
         users[e["user_id"]], e["t_start"], e["t_answer"], e["t_end"])
        for block in service._store.events(customer_id) for e in block.to_pylist())


def going_on(service: Service) -> list[tuple[Any, ...]]:
    """The open versions stored (``end`` null): a follower stores them for what goes on."""
    return [e for e in all_stored(service) if e[-1] is None]


def stored(service: Service, date: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The stored events that have ended and the day's records by project, user and
    hour, with names instead of ids."""
    events = [e for e in all_stored(service) if e[-1] is not None]
    projects = {p.project_id: p.name for p in service.projects(CUSTOMER)}
    users = {0: None, **{u.user_id: u.name for u in service.users(CUSTOMER)}}
    found = records(service.query(CUSTOMER, {
        "from": date, "to": date, "projects": ",".join(map(str, projects)),
        "dimensions": "project,user,date,time"}))
    statistics = sorted((projects[r["projectId"]], users[r["userId"]], r["time"],
                         str(r["data"])) for r in found)
    return events, statistics


def freepbx_parts() -> tuple[list[str], list[str]]:
    lines = FREEPBX.read_text().splitlines()
    return lines[:FREEPBX_CUT], lines[FREEPBX_CUT:]


def renamed(log: Path) -> Path:
    """logrotate's default: the log becomes ``queue_log.1``; the writer starts a new file."""
    old = log.with_name(f"{log.name}.1")
    os.rename(log, old)
    return old


def copied_and_truncated(log: Path) -> Path:
    """logrotate's copytruncate: the log is copied to ``queue_log.1`` and emptied in place."""
    old = log.with_name(f"{log.name}.1")
    shutil.copyfile(log, old)
    with log.open("r+b") as handle:
        handle.truncate(0)
    return old


ROTATIONS: dict[str, Callable[[Path], Path]] = {
    "rename-and-create": renamed, "copytruncate": copied_and_truncated}


def append(path: Path, lines: list[str]) -> None:
    with path.open("a") as handle:
        handle.write(text(lines, final_newline=True))


def polled(follower: Follower) -> QueueLogReport:
    report = follower.poll()
    assert report is not None
    return report


@pytest.mark.parametrize("rotate", ROTATIONS.values(), ids=ROTATIONS.keys())
def test_a_new_file_longer_than_the_old_offset_is_read_from_its_start(
        service: Service, customer: str, plain: Service, tmp_path: Path,
        rotate: Callable[[Path], Path]) -> None:
    """The FreePBX sample cut at line 100: the new file is longer than the old one."""
    first, second = freepbx_parts()
    log = tmp_path / "queue_log"
    append(log, first)
    with closing(Follower(service, customer, log)) as follower:
        assert polled(follower).lines == FREEPBX_CUT
        old = rotate(log)
        append(log, second)
        report = polled(follower)

    part2 = tmp_path / "part2"
    append(part2, second)
    whole = import_logs(plain, CUSTOMER, [old, part2])
    assert (report.lines, report.records) == (whole.lines, whole.records) == (278, 278)
    assert not report.malformed
    assert report.count("call", "in") == whole.count("call", "in")
    assert stored(service, "20100222") == stored(plain, "20100222")
    assert_going_on_where_the_sample_ends(service, plain, report)


@pytest.mark.parametrize("rotate", ROTATIONS.values(), ids=ROTATIONS.keys())
@pytest.mark.parametrize("cut", [5, 7], ids=["call-open", "pause-open"])
def test_calls_sessions_and_pauses_open_across_a_rotation_are_paired(
        service: Service, customer: str, plain: Service, tmp_path: Path,
        rotate: Callable[[Path], Path], cut: int) -> None:
    """The synthetic log rotated while call c1 (cut 5) or a pause (cut 7) and both login
    sessions are open; the new file grows from shorter than the old one to longer."""
    log = tmp_path / "queue_log"
    append(log, LINES[:cut])
    with closing(Follower(service, customer, log)) as follower:
        opened = polled(follower).conversion
        assert (opened.open_calls, opened.open_sessions, opened.open_pauses) \
            == ((1, 2, 0) if cut == 5 else (0, 2, 1))
        old = rotate(log)
        assert follower.poll() is None  # renamed and not created yet, or empty
        append(log, LINES[cut:cut + 1])
        polled(follower)
        append(log, [*LINES[cut + 1:], ENDING])
        report = polled(follower)

    part2 = tmp_path / "part2"
    append(part2, [*LINES[cut:], ENDING])
    whole = import_logs(plain, CUSTOMER, [old, part2])
    assert (report.conversion.open_calls, report.conversion.open_sessions,
            report.conversion.open_pauses) == (0, 0, 0)
    assert (report.lines, report.records) == (whole.lines, whole.records)
    # the line that is no queue_log line, numbered within the new file
    assert report.malformed == [(str(log), len(LINES) - cut)]
    assert [line for _, line in whole.malformed] == [len(LINES) - cut]
    assert stored(service, "20240101") == stored(plain, "20240101")
    assert going_on(service) == []  # the log ends nothing open


def test_the_old_file_is_read_to_its_end_before_the_new_one(
        service: Service, customer: str, plain: Service, tmp_path: Path) -> None:
    """Asterisk writes to the renamed file until it reopens the log: those lines are read,
    and the new file is only read once it has lines (the old one has ended then)."""
    first, second = freepbx_parts()
    log = tmp_path / "queue_log"
    append(log, first[:50])
    with closing(Follower(service, customer, log)) as follower:
        polled(follower)
        old = renamed(log)
        append(old, first[50:60])
        assert polled(follower).lines == 60
        log.touch()
        append(old, first[60:])
        assert polled(follower).lines == FREEPBX_CUT
        append(old, second[:1])  # without its newline: the old file's last line
        with old.open("a") as handle:
            handle.write(second[1])
        append(log, second[2:])
        report = polled(follower)

    part2 = tmp_path / "part2"
    append(part2, second[2:])
    whole = import_logs(plain, CUSTOMER, [old, part2])
    assert (report.lines, report.records) == (whole.lines, whole.records) == (278, 278)
    assert stored(service, "20100222") == stored(plain, "20100222")
    assert_going_on_where_the_sample_ends(service, plain, report)


def assert_going_on_where_the_sample_ends(followed: Service, plain: Service,
                                          report: QueueLogReport) -> None:
    """The FreePBX sample ends during agent 2004's call (CONNECT of line 270, the caller
    of line 267) and while the caller of line 271 waits: the follower stored their open
    versions (stale, as the log is old), a plain import nothing."""
    assert going_on(plain) == []
    assert sorted((e[1:] for e in going_on(followed)), key=repr) == [
        ("call", "in", "9000", "2004", 1266839775, 1266839775, None),
        ("queuecall", None, "9000", "2004", 1266839770, 1266839775, None),
        ("queuecall", None, "9000", None, 1266839777, None, None),
        ("userstate", "call", "9000", "2004", 1266839775, None, None),
    ]
    assert report.going_on == 4


def test_lines_that_are_no_queue_log_lines_are_named_by_the_file_they_are_in(
        service: Service, customer: str, tmp_path: Path) -> None:
    log = tmp_path / "queue_log"
    append(log, [LINES[0], "not a line"])
    with closing(Follower(service, customer, log)) as follower:
        assert polled(follower).malformed == [(str(log), 2)]
        old = renamed(log)
        append(log, ["still not a line", *LINES[1:3]])
        assert polled(follower).malformed == [(str(old), 2), (str(log), 1)]
