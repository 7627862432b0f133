"""What `ccstats import --format queue_log` prints of an import: a `QueueLogSummary`.

A `QueueLogReport` holds every derived event; the summary holds only the counts
and the first lines it names, so that a running server can send it back for an
import through it (`ccstats.import_reports`) and the command prints the same
either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ccstats.importers.queue_log.importer import QueueLogReport

#: The malformed lines and implausible calls a summary names (the others are counted).
SHOWN = 10


@dataclass(frozen=True, slots=True)
class QueueLogSummary:
    lines: int = 0
    records: int = 0
    malformed: tuple[tuple[str, int], ...] = ()
    """The first `SHOWN` lines that are no queue_log line: (file, line number)."""
    malformed_count: int = 0
    inbound: int = 0
    outbound: int = 0
    userstates: int = 0
    stored: int = 0
    open_calls: int = 0
    open_sessions: int = 0
    open_pauses: int = 0
    going_on: int = 0
    withdrawn: int = 0
    lost_calls: int = 0
    implausible: tuple[int, ...] = ()
    """The first `SHOWN` lines of calls longer than a day."""
    implausible_count: int = 0
    unknown: dict[str, int] = field(default_factory=dict)
    """Unknown queue_log events by name: how many lines."""


def summarize(report: QueueLogReport) -> QueueLogSummary:
    conversion = report.conversion
    return QueueLogSummary(
        lines=report.lines, records=report.records,
        malformed=tuple(report.malformed[:SHOWN]), malformed_count=len(report.malformed),
        inbound=report.count("call", "in"), outbound=report.count("call", "out"),
        userstates=report.count("userstate"), stored=report.stored,
        open_calls=conversion.open_calls, open_sessions=conversion.open_sessions,
        open_pauses=conversion.open_pauses, going_on=report.going_on,
        withdrawn=report.withdrawn, lost_calls=conversion.lost_calls,
        implausible=tuple(conversion.implausible[:SHOWN]),
        implausible_count=len(conversion.implausible),
        unknown=dict(sorted(conversion.unknown.items())))
