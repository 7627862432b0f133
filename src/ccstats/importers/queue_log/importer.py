"""Importing queue_log files, once or following a growing file.

Every import reads the log from its beginning and derives every event again
(`convert`); the ids depend only on the log's content, so storing them again
replaces rather than duplicates (`Service.ingest_mapped`: validated, atomic,
replace by id). The events are derived within their batch, which also stores the
queues and members mapped for them (`names`). Following a file keeps the records
in memory, reads what was appended (across rotations: `tail`), and stores only the
events that are new or changed since the last round.

A follower also stores the open versions (``end`` null, realtime.md §1) of what is
going on at the end of the log: a call, a pause, a session's available time, a
queue call. Each has the id its ended version will have, which replaces it. What
a follower stored is kept equal to what the log read so far makes: an event the
log no longer makes (an open version whose call was given up, the available time
of a session that a call has interrupted) is deleted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ccstats.errors import InvalidRequest, wrong_format
from ccstats.events import MAX_OPEN_LEAD
from ccstats.importers.queue_log.convert import Conversion, convert, mapped_names
from ccstats.importers.queue_log.names import NameMap
from ccstats.importers.queue_log.records import (
    ParsedLog,
    Record,
    is_pbxware,
    numbered_lines,
    parse,
)
from ccstats.importers.queue_log.tail import Lines, LogTail
from ccstats.service import Service
from ccstats.store.base import NameMapper

EXPECTED_FORM = ("epoch|callid|queue|agent|EVENT|data..., or a PBXware queue_log table dump "
                 "(CSV with the header uid,date_time,callid,queue_name,type,event,...)")


@dataclass(slots=True)
class QueueLogReport:
    """What an import (or one round of following) read and stored."""

    lines: int = 0
    records: int = 0
    malformed: list[tuple[str, int]] = field(default_factory=list)
    conversion: Conversion = field(default_factory=Conversion)
    stored: int = 0
    #: Open versions among the events the log makes now (following only).
    going_on: int = 0
    #: Events stored before that the log no longer makes, deleted (following only).
    withdrawn: int = 0

    def count(self, event_type: str, subtype: str | None = None) -> int:
        """Events derived of this type (and sub-type: direction or state)."""
        return sum(1 for e in self.conversion.events if e["type"] == event_type and (
            subtype is None or subtype in (e.get("direction"), e.get("state"))))


def read_log(path: Path) -> ParsedLog:
    """The records of one file (undecodable bytes are replaced; they only occur in names)."""
    lines = numbered_lines(path.read_bytes().decode("utf-8", errors="replace"))
    return parse(lines, pbxware=bool(lines) and is_pbxware(lines[0][1]))


def _ndjson(events: Sequence[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(e) + b"\n" for e in events)


def _derive(mapper: NameMapper, records: list[Record], live: bool = False) -> Conversion:
    names = NameMap(mapper)
    names.add(*mapped_names(records))
    return convert(records, names, live=live)


def import_logs(service: Service, customer: str, paths: Sequence[Path],
                names: Sequence[str] | None = None) -> QueueLogReport:
    """Import queue_log files (rotated parts in time order) as one atomic batch.

    A file with lines but not one queue_log line is refused (nothing is stored). The
    report names each file by its path, or by its entry of `names`.
    """
    service.customer(customer)
    report = QueueLogReport()
    records: list[Record] = []
    for path, name in zip(paths, names or [str(p) for p in paths], strict=True):
        log = read_log(path)
        if log.malformed and not log.records:
            raise InvalidRequest([wrong_format(
                "FILE", f"{name} has no queue_log line; line {log.malformed[0]} is not of the "
                        f"form {EXPECTED_FORM}")])
        records.extend(log.records)
        report.lines += log.lines
        report.malformed.extend((name, line) for line in log.malformed)
    report.records = len(records)

    def events(mapper: NameMapper) -> bytes:
        report.conversion = _derive(mapper, records)
        return _ndjson(report.conversion.events)

    report.stored = service.ingest_mapped(customer, events)
    return report


class Follower:
    """Imports what is appended to a queue_log file, round after round (`poll`).

    The records of every file read stay in memory: a rotated log (`LogTail`) is read
    on as one log, so calls, sessions and pauses open across a rotation are paired.
    """

    def __init__(self, service: Service, customer: str, path: Path) -> None:
        service.customer(customer)
        self._service = service
        self._customer = customer
        self._tail = LogTail(path)
        self._logs: list[ParsedLog] = []
        self._pbxware: bool | None = None
        self._stored: dict[str, bytes] = {}

    def poll(self) -> QueueLogReport | None:
        """Read the complete lines appended since the last round and store what changed.

        None if no complete line was appended (or the file is missing, as it is for a
        moment while it is rotated).
        """
        pieces = self._tail.read()
        if not pieces:
            return None
        for piece in pieces:
            self._parse(piece)
        records = [r for log in self._logs for r in log.records]
        report = QueueLogReport(
            lines=sum(log.lines for log in self._logs), records=len(records),
            malformed=[(self._tail.names[number], line)
                       for number, log in enumerate(self._logs) for line in log.malformed])
        changed: dict[str, bytes] = {}
        made: set[str] = set()

        def events(mapper: NameMapper) -> bytes:
            report.conversion = _derive(mapper, records, live=True)
            going_on = self._startable(report.conversion.live)
            report.going_on = len(going_on)
            for event in [*report.conversion.events, *going_on]:
                encoded = orjson.dumps(event)
                made.add(event["id"])
                if self._stored.get(event["id"]) != encoded:
                    changed[event["id"]] = encoded
            return b"".join(encoded + b"\n" for encoded in changed.values())

        report.stored = self._service.ingest_mapped(self._customer, events)
        self._stored.update(changed)
        report.withdrawn = self._withdraw(made)
        return report

    def _startable(self, going_on: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The open versions that start at most `MAX_OPEN_LEAD` seconds after the clock:
        the server refuses a later one (the PBX's clock is ahead), which is left for a
        later round."""
        latest = time.time() + MAX_OPEN_LEAD
        return [e for e in going_on if e["start"] <= latest]

    def _withdraw(self, made: set[str]) -> int:
        """Delete the events this follower stored that the log no longer makes."""
        gone = [event_id for event_id in self._stored if event_id not in made]
        for event_id in gone:
            self._service.delete_event(self._customer, event_id)
            del self._stored[event_id]
        return len(gone)

    def _parse(self, piece: Lines) -> None:
        """Add the records of lines of the log's file number `piece.file`."""
        if self._pbxware is None:
            self._pbxware = is_pbxware(piece.lines[0][1])
        while len(self._logs) <= piece.file:
            self._logs.append(ParsedLog())
        parse(piece.lines, into=self._logs[piece.file], pbxware=self._pbxware)

    def close(self) -> None:
        """Close the file being followed."""
        self._tail.close()


def follow(service: Service, customer: str, path: Path, stop: threading.Event,
           on_round: Callable[[QueueLogReport], None], poll_seconds: float = 1.0) -> None:
    """Import `path` and what is appended to it until `stop` is set."""
    follower = Follower(service, customer, path)
    try:
        while not stop.is_set():
            report = follower.poll()
            if report is not None:
                on_round(report)
            stop.wait(poll_seconds)
    finally:
        follower.close()
