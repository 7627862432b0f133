"""`ccstats import --format queue_log` (once and --follow) and `ccstats mapping`, as run."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ccstats.service import Service
from conftest import records
from queue_log.synthetic import ENDING, LINES, text
from queue_log.test_samples import FREEPBX

CCSTATS = Path(sys.executable).parent / "ccstats"
#: Generous bound on waiting for one line of the follower (not a timing assertion).
WAIT_SECONDS = 120


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CCSTATS), *args, "--db", str(db)], capture_output=True,
                          text=True, timeout=WAIT_SECONDS, check=False)


def created(tmp_path: Path, name: str = "pbx") -> Path:
    db = tmp_path / f"{name}.duckdb"
    assert run(db, "customer", "create", "acme", "--password", "pw").returncode == 0
    return db


def answer(db: Path, date: str = "20240101") -> list[tuple[Any, ...]]:
    """The records of the day by project, user and hour, with names instead of ids
    (ids depend on the order in which names were first seen)."""
    service = Service.open(str(db))
    try:
        projects = {p.project_id: p.name for p in service.projects("acme")}
        users = {u.user_id: u.name for u in service.users("acme")}
        found = records(service.query("acme", {
            "from": date, "to": date, "projects": ",".join(map(str, projects)),
            "dimensions": "project,user,date,time"}))
        return sorted((projects[r["projectId"]], users[r["userId"]], r["time"],
                       str(r["data"])) for r in found)
    finally:
        service.close()


def test_import_and_mapping_commands(tmp_path: Path) -> None:
    db = created(tmp_path)
    done = run(db, "import", str(FREEPBX), "--customer", "acme", "--format", "queue_log")
    assert done.returncode == 0, done.stderr
    assert "read 278 lines" in done.stdout
    assert "still open, imported once ended: 1 calls" in done.stdout

    listed = run(db, "mapping", "list", "--customer", "acme")
    assert "member\tLocal/2004@from-internal/n\tuser 3\t2004" in listed.stdout.splitlines()
    assert "queue\t9000\tproject 1\t9000" in listed.stdout.splitlines()

    moved = run(db, "mapping", "set", "member", "Local/2004@from-internal/n", "2004",
                "--customer", "acme")
    assert moved.returncode == 0, moved.stderr
    listed = run(db, "mapping", "list", "--customer", "acme")
    assert "member\tLocal/2004@from-internal/n\tuser 2004\t2004" in listed.stdout.splitlines()

    refused = run(db, "mapping", "set", "member", "x", "0", "--customer", "acme")
    assert refused.returncode == 2 and "id" in refused.stderr


def test_unknown_events_and_bad_files_are_reported(tmp_path: Path) -> None:
    db = created(tmp_path)
    log = tmp_path / "queue_log"
    log.write_text(text(LINES))
    done = run(db, "import", str(log), "--customer", "acme", "--format", "queue_log")
    assert done.returncode == 0, done.stderr
    assert "unknown events, counted and not imported: FUTUREEVENT: 1" in done.stdout
    assert f"line {len(LINES)}: not a queue_log line" in done.stderr

    bad = tmp_path / "bad"
    bad.write_text("hello\nworld\n")
    refused = run(db, "import", str(bad), "--customer", "acme", "--format", "queue_log")
    assert refused.returncode == 2 and "no queue_log line" in refused.stderr
    usage = run(db, "import", str(log), "--customer", "acme", "--follow")
    assert usage.returncode == 2 and "--follow is for --format queue_log" in usage.stderr


@contextmanager
def following(db: Path, log: Path) -> Iterator[Callable[[str], None]]:
    """`ccstats import LOG --format queue_log --follow` running; yields a function that
    waits for a line of its output containing a fragment. Stopped with SIGTERM after."""
    follower = subprocess.Popen(
        [str(CCSTATS), "import", str(log), "--customer", "acme", "--format", "queue_log",
         "--follow", "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str | None] = queue.Queue()
    assert follower.stdout is not None
    output = follower.stdout
    seen: list[str] = []

    def read() -> None:
        for line in output:
            lines.put(line)
        lines.put(None)  # the follower ended

    threading.Thread(target=read, daemon=True).start()

    def wait_for(fragment: str) -> None:
        while (line := lines.get(timeout=WAIT_SECONDS)) is not None:
            seen.append(line)
            if fragment in line:
                return
        raise AssertionError(f"the follower ended before {fragment!r}: {''.join(seen)}")

    try:
        yield wait_for
        follower.send_signal(signal.SIGTERM)
        assert follower.wait(timeout=WAIT_SECONDS) == 0
        wait_for("stopped")
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()


def event_count(db: Path) -> int:
    service = Service.open(str(db))
    try:
        return service.event_count("acme")
    finally:
        service.close()


def test_follow_imports_a_growing_file(tmp_path: Path) -> None:
    """A follower stores what is appended while it runs and stops cleanly on SIGTERM.

    The result equals one import of the whole file (nothing stored twice).
    """
    db = created(tmp_path)
    log = tmp_path / "queue_log"
    half = len(LINES) // 2
    log.write_text(text(LINES[:half], final_newline=True))
    with following(db, log) as wait_for:
        wait_for(f"read {half} lines")
        with log.open("a") as handle:  # the rest, and the end of the cut-off call
            handle.write(text([*LINES[half:], ENDING], final_newline=True))
        wait_for(f"read {len(LINES) + 1} lines")

    whole = created(tmp_path, "whole")
    log_once = tmp_path / "queue_log_once"
    log_once.write_text(text([*LINES, ENDING], final_newline=True))
    assert run(whole, "import", str(log_once), "--customer", "acme", "--format",
               "queue_log").returncode == 0
    assert answer(db) == answer(whole)
    assert event_count(db) == event_count(whole)


def test_follow_reads_on_across_a_rotation(tmp_path: Path) -> None:
    """logrotate renames the log and Asterisk writes on to the renamed file until it
    opens a new one: the follower waits while the log is missing, reads the renamed
    file to its end, then the new one from its start. The result equals a plain import
    of the two files."""
    lines = FREEPBX.read_text().splitlines()
    db = created(tmp_path)
    log = tmp_path / "queue_log"
    log.write_text(text(lines[:100], final_newline=True))
    with following(db, log) as wait_for:
        wait_for("read 100 lines")
        old = log.rename(tmp_path / "queue_log.1")
        with old.open("a") as handle:
            handle.write(text(lines[100:120], final_newline=True))
        wait_for("read 120 lines")
        log.write_text(text(lines[120:], final_newline=True))
        wait_for(f"read {len(lines)} lines")
        wait_for("going on, stored open until the log ends them: 4 events")

    parts = created(tmp_path, "parts")
    done = run(parts, "import", str(old), str(log), "--customer", "acme", "--format",
               "queue_log")
    assert done.returncode == 0, done.stderr
    assert f"read {len(lines)} lines" in done.stdout
    assert answer(db, "20100222") == answer(parts, "20100222")
    # and the open versions of the call and the two queue calls going on where it ends
    assert event_count(db) == event_count(parts) + 4
