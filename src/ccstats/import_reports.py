"""The reports of an import as the server sends them back (`ccstats.api.operator_imports`)
and as the command reads them again (`ccstats.upload_client`).

An NDJSON import answers its `ImportReport` (the problems are at most
`ccstats.ingest` ``ERROR_LIMIT``); a queue_log import its `QueueLogSummary`. Read
back, each is equal to the one the server made, so that ``ccstats import``
prints the same with ``--server`` as with ``--db``.
"""

from __future__ import annotations

from typing import Any

from ccstats.events import EventError
from ccstats.importers.queue_log.summary import QueueLogSummary
from ccstats.service import ImportReport


def ndjson_answer(report: ImportReport) -> dict[str, Any]:
    return {
        "format": "ndjson", "stored": report.stored, "accepted": report.accepted,
        "lines": report.lines, "rejected": report.rejected,
        "problems": [{"file": source, "unit": problem.unit, "line": problem.line,
                      "member": problem.member, "code": problem.code,
                      "message": problem.message}
                     for source, problem in report.problems],
    }


def ndjson_report(answer: dict[str, Any]) -> ImportReport:
    problems = [(found["file"], EventError(found["line"], found["member"], found["code"],
                                           found["message"], found["unit"]))
                for found in answer["problems"]]
    return ImportReport(stored=answer["stored"], accepted=answer["accepted"],
                        lines=answer["lines"], rejected=answer["rejected"], problems=problems)


def queue_log_answer(summary: QueueLogSummary) -> dict[str, Any]:
    return {
        "format": "queue_log", "lines": summary.lines, "records": summary.records,
        "malformed": [{"file": source, "line": line} for source, line in summary.malformed],
        "malformedCount": summary.malformed_count, "inbound": summary.inbound,
        "outbound": summary.outbound, "userstates": summary.userstates,
        "stored": summary.stored, "openCalls": summary.open_calls,
        "openSessions": summary.open_sessions, "openPauses": summary.open_pauses,
        "lostCalls": summary.lost_calls, "implausible": list(summary.implausible),
        "implausibleCount": summary.implausible_count, "unknown": dict(summary.unknown),
    }


def queue_log_summary(answer: dict[str, Any]) -> QueueLogSummary:
    return QueueLogSummary(
        lines=answer["lines"], records=answer["records"],
        malformed=tuple((found["file"], found["line"]) for found in answer["malformed"]),
        malformed_count=answer["malformedCount"], inbound=answer["inbound"],
        outbound=answer["outbound"], userstates=answer["userstates"],
        stored=answer["stored"], open_calls=answer["openCalls"],
        open_sessions=answer["openSessions"], open_pauses=answer["openPauses"],
        lost_calls=answer["lostCalls"], implausible=tuple(answer["implausible"]),
        implausible_count=answer["implausibleCount"], unknown=dict(answer["unknown"]))
