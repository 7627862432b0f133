"""Reading queue_log lines into records.

The raw file (``epoch|callid|queue|agent|EVENT|data1|data2|...``) has as many data
fields as the Asterisk version wrote for that event (1.4 to current differ); they
are kept as they are and read by position where used. A Bicom PBXware dump of
its ``queue_log`` table (CSV with the header ``uid,date_time,callid,...``) is
recognised by its header and its columns are put in the same positions.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from ccstats.digits import parse_digits
from ccstats.events import MAX_EPOCH, MIN_EPOCH
from ccstats.importers.queue_log.log_events import DAY

PBXWARE_HEADER = "uid,date_time,callid,queue_name,type,event,"
NO_NAME = "NONE"


@dataclass(frozen=True, slots=True)
class Record:
    """One queue_log line. `data` holds the event's fields after the event name."""

    line: int
    time: int
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]

    def number(self, index: int) -> int | None:
        """Data field `index` (negative: from the end) as a whole number >= 0, if it is one."""
        try:
            text = self.data[index].strip()
        except IndexError:
            return None
        return parse_digits(text)


@dataclass(slots=True)
class ParsedLog:
    """The records of a log, and the numbers of the lines that are no queue_log line."""

    records: list[Record] = field(default_factory=list)
    malformed: list[int] = field(default_factory=list)
    lines: int = 0


def _is_epoch(text: str) -> bool:
    """Whole epoch seconds that ccstats accepts as a timestamp."""
    seconds = parse_digits(text)
    return seconds is not None and MIN_EPOCH + DAY <= seconds < MAX_EPOCH


def parse_line(number: int, text: str) -> Record | None:
    """A raw line, or None if it is not ``epoch|callid|queue|agent|EVENT[|data...]``."""
    parts = text.rstrip("\r\n").split("|")
    if len(parts) < 5:
        return None
    epoch, callid, queue, agent, event, *data = parts
    whole = epoch.strip().split(".", 1)[0]
    if not _is_epoch(whole) or not event.strip():
        return None
    return Record(number, int(whole), callid.strip(), queue.strip(), agent.strip(),
                  event.strip().upper(), tuple(data))


#: PBXware columns, in the positions the raw file uses for each event's data.
_PBXWARE_DATA: dict[str, tuple[str, ...]] = {
    "CONNECT": ("htime", "param2", "param3"),
    "COMPLETEAGENT": ("htime", "ttime", "entpos"),
    "COMPLETECALLER": ("htime", "ttime", "entpos"),
    "RINGNOANSWER": ("htime",),
    "RINGCANCELED": ("htime",),
    "TRANSFER": ("param2", "param3", "htime", "ttime", "entpos"),
    "BLINDTRANSFER": ("param2", "param3", "htime", "ttime", "entpos"),
    "ATTENDEDTRANSFER": ("param1", "param2", "htime", "ttime", "entpos"),
    "ABANDON": ("expos", "entpos", "htime"),
    "EXITEMPTY": ("expos", "entpos", "htime"),
    "EXITWITHTIMEOUT": ("expos", "entpos", "htime"),
    "OUTDIAL": ("param1", "param2", "htime", "ttime"),
    "OUTANSWER": ("param1", "param2", "htime", "ttime"),
    "OUTTRANSFER": ("param1", "param2", "htime", "ttime"),
    "OUTCANCEL": ("param1", "param2", "htime", "ttime"),
    "OUTCHANUNAVAIL": ("param1", "param2", "htime", "ttime"),
    "OUTCONGESTION": ("param1", "param2", "htime", "ttime"),
    "OUTBUSY": ("param1", "param2", "htime", "ttime"),
    "OUTNOANSWER": ("param1", "param2", "htime", "ttime"),
}
_PBXWARE_DEFAULT = ("param1", "param2", "param3")


def _pbxware_record(number: int, row: dict[str, str]) -> Record | None:
    epoch = (row.get("date_time") or "").strip()
    event = (row.get("event") or "").strip().upper()
    if not _is_epoch(epoch) or not event:
        return None
    columns = _PBXWARE_DATA.get(event, _PBXWARE_DEFAULT)
    return Record(number, int(epoch), (row.get("callid") or "").strip(),
                  (row.get("queue_name") or "").strip(), (row.get("type") or "").strip(),
                  event, tuple((row.get(c) or "").strip() for c in columns))


def parse(lines: Iterable[tuple[int, str]], into: ParsedLog | None = None,
          pbxware: bool = False) -> ParsedLog:
    """Parse numbered lines (blank ones are skipped) into `into` (or a new log)."""
    log = into if into is not None else ParsedLog()
    for number, raw in lines:
        log.lines = max(log.lines, number)
        text = raw.lstrip("\ufeff")
        if not text.strip():
            continue
        if pbxware:
            if text.startswith(PBXWARE_HEADER):
                continue
            row = next(csv.DictReader(io.StringIO(text), fieldnames=_PBXWARE_COLUMNS))
            record = _pbxware_record(number, row)
        else:
            record = parse_line(number, text)
        if record is None:
            log.malformed.append(number)
        else:
            log.records.append(record)
    return log


_PBXWARE_COLUMNS = ("uid", "date_time", "callid", "queue_name", "type", "event", "param1",
                    "param2", "param3", "entpos", "expos", "htime", "ttime", "time")


def is_pbxware(first_line: str) -> bool:
    """Whether a file starting with `first_line` is a PBXware ``queue_log`` table dump."""
    return first_line.lstrip("\ufeff").startswith(PBXWARE_HEADER)


def numbered_lines(text: str, first_number: int = 1) -> list[tuple[int, str]]:
    """The lines of `text` numbered from `first_number` (a missing final newline is fine)."""
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    return list(enumerate(lines, start=first_number))
