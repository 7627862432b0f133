"""Pauses, logins, transfers, layouts and a cut-off call on a small hand-written log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ccstats.importers.queue_log import names
from ccstats.importers.queue_log.importer import import_logs
from ccstats.model import Project, Status
from ccstats.service import Service
from conftest import records
from queue_log.synthetic import ENDING, LINES, T, text

DAY = {"from": "20240101", "to": "20240101"}


def by_user(service: Service, customer: str) -> dict[str, dict[str, tuple[Any, Any]]]:
    """{user name: {field: (count, sum)}} of the day, all projects."""
    user_names = {u.user_id: u.name for u in service.users(customer)}
    projects = ",".join(str(p.project_id) for p in service.projects(customer))
    answer = service.query(customer, {**DAY, "dimensions": "user", "projects": projects})
    return {user_names[r["userId"]]: {d["field"]: (d["count"], d["sum"]) for d in r["data"]}
            for r in records(answer)}


def write(tmp_path: Path, lines: list[str], final_newline: bool = False) -> Path:
    path = tmp_path / "queue_log"
    path.write_text(text(lines, final_newline))
    return path


def test_logins_pauses_transfers_and_a_cut_off_call(service: Service, customer: str,
                                                     tmp_path: Path) -> None:
    report = import_logs(service, customer, [write(tmp_path, LINES)])
    found = by_user(service, customer)
    assert found["1001"] == {
        "userstateAvailable": (5, 589),
        "userstateCall": (None, 100),
        "userstateRinging": (3, 11),
        "userstateBreak": (1, 100),
        "callIn": (None, 2 + 65 + 44),
        "callInAnswered": (2, 100),
        "callInMissed": (1, 2),
    }
    assert found["1002"] == {
        "userstateAvailable": (3, 770),
        "userstateCall": (None, 30),
        "userstateBreak": (1, 100),
        "callIn": (None, 30),
        "callInAnswered": (1, 30),
    }
    assert "1003" not in found  # its only call has not ended
    assert report.conversion.open_calls == 1
    assert report.conversion.unknown == {"FUTUREEVENT": 1}
    assert report.malformed == [(str(tmp_path / "queue_log"), len(LINES))]
    assert report.lines == len(LINES) and report.records == len(LINES) - 1


def test_projects_follow_the_queues(service: Service, customer: str, tmp_path: Path) -> None:
    import_logs(service, customer, [write(tmp_path, LINES)])
    projects = {p.name: p.project_id for p in service.projects(customer)}
    assert set(projects) == {"sales", "support", "No queue"}
    answer = service.query(customer, {**DAY, "dimensions": "project", "fields":
                                      "callInAnswered,userstateAvailable,userstateBreak",
                                      "projects": ",".join(map(str, projects.values()))})
    found = {r["projectId"]: {d["field"]: (d["count"], d["sum"]) for d in r["data"]}
             for r in records(answer)}
    # Agent/1001 logged in without a queue (AGENTLOGIN) and paused all queues.
    assert found[projects["No queue"]] == {"userstateAvailable": (5, 589),
                                           "userstateBreak": (1, 100)}
    assert found[projects["sales"]] == {"callInAnswered": (2, 90),
                                        "userstateAvailable": (3, 770),
                                        "userstateBreak": (1, 100)}
    assert found[projects["support"]] == {"callInAnswered": (1, 40)}


def test_a_longer_log_adds_only_what_ended(service: Service, customer: str,
                                           tmp_path: Path) -> None:
    """The log grows: the cut-off call is stored once ended; nothing is stored twice."""
    import_logs(service, customer, [write(tmp_path, LINES)])
    before = service.event_count(customer)
    report = import_logs(service, customer, [write(tmp_path, [*LINES, ENDING], True)])
    assert (report.conversion.open_calls, report.conversion.open_queue_calls) == (0, 0)
    # the call, its ringing, its talking and the caller's queue call
    assert service.event_count(customer) == before + 4
    assert by_user(service, customer)["1003"] == {
        "userstateCall": (None, 50), "userstateRinging": (1, 3), "callIn": (None, 53),
        "callInAnswered": (1, 50)}


def test_a_session_is_stored_once_it_has_ended(service: Service, customer: str,
                                               tmp_path: Path) -> None:
    """Cut before the logoff, 1001's session is open: no available time until it ends."""
    logoff = next(i for i, line in enumerate(LINES) if "AGENTLOGOFF" in line)
    first = import_logs(service, customer, [write(tmp_path, LINES[:logoff])])
    assert first.conversion.open_sessions == 2  # 1001 and 1002 are still logged in
    assert "userstateAvailable" not in by_user(service, customer)["1001"]
    import_logs(service, customer, [write(tmp_path, LINES)])
    assert by_user(service, customer)["1001"]["userstateAvailable"] == (5, 589)


def test_a_session_waits_for_the_calls_inside_it(service: Service, customer: str,
                                                 tmp_path: Path) -> None:
    """A logoff while a call of the session is still open: available time waits for it."""
    lines = [f"{T}|NONE|NONE|Agent/1003|AGENTLOGIN|SIP/1003", *LINES,
             f"{T + 955}|NONE|NONE|Agent/1003|AGENTLOGOFF|SIP/1003|955"]
    report = import_logs(service, customer, [write(tmp_path, lines)])
    assert report.conversion.open_sessions == 1
    import_logs(service, customer, [write(tmp_path, [*lines, ENDING])])
    found = by_user(service, customer)["1003"]
    # logged in 0-955; ringing 947-950, talking 950-1000: available 0-947 once.
    assert found["userstateAvailable"] == (1, 947)


def test_names_are_stable_and_editable(service: Service, customer: str,
                                       tmp_path: Path) -> None:
    path = write(tmp_path, LINES)
    import_logs(service, customer, [path])
    first = {m.name: m.target_id for m, _ in names.listed(service, customer)}
    import_logs(service, customer, [path])
    assert {m.name: m.target_id for m, _ in names.listed(service, customer)} == first

    names.set_mapping(service, customer, "member", "SIP/1002", 42)
    import_logs(service, customer, [path])
    listed = {m.name: (m.target_id, name) for m, name in names.listed(service, customer)}
    assert listed["SIP/1002"] == (42, "1002")
    found = by_user(service, customer)
    # the events moved to user 42 (named after the member): the old user has none left
    assert found["1002"]["userstateAvailable"] == (3, 770)
    users = {u.user_id: u.name for u in service.users(customer)}
    assert users[42] == "1002" and users[first["SIP/1002"]] == "1002"
    answer = service.query(customer, {**DAY, "dimensions": "user",
                                      "users": str(first["SIP/1002"]),
                                      "projects": ",".join(str(p.project_id) for p in
                                                           service.projects(customer))})
    assert records(answer) == []


@pytest.mark.parametrize(("kind", "name", "target", "param"), [
    ("agent", "SIP/1", 1, "kind"), ("member", "", 1, "name"), ("queue", "q", 0, "id")])
def test_bad_mappings_are_refused(service: Service, customer: str, kind: str, name: str,
                                  target: int, param: str) -> None:
    from ccstats.errors import InvalidRequest

    with pytest.raises(InvalidRequest) as caught:
        names.set_mapping(service, customer, kind, name, target)
    assert [e.param for e in caught.value.errors] == [param]
    assert names.listed(service, customer) == []


def test_a_file_without_queue_log_lines_stores_nothing(service: Service, customer: str,
                                                       tmp_path: Path) -> None:
    from ccstats.errors import InvalidRequest

    path = tmp_path / "events.ndjson"
    path.write_text('{"id": "a"}\n')
    with pytest.raises(InvalidRequest) as caught:
        import_logs(service, customer, [path])
    assert "no queue_log line" in str(caught.value.errors[0])
    assert names.listed(service, customer) == []


def test_an_import_with_an_invalid_event_stores_no_name(service: Service, customer: str,
                                                        tmp_path: Path) -> None:
    """The last possible project id is taken: the new queues get ids past it, so their
    events are invalid, and the batch stores neither them nor the queues and members."""
    from ccstats.errors import EventsRejected
    from ccstats.events import MAX_ENTITY_ID

    last = Project(MAX_ENTITY_ID, "Last", Status.ACTIVE)
    service.create_project(customer, last)
    with pytest.raises(EventsRejected) as caught:
        import_logs(service, customer, [write(tmp_path, LINES)])
    assert {str(e.param).partition(": ")[2] for e in caught.value.errors} == {"projectId"}
    assert names.listed(service, customer) == []
    assert service.projects(customer) == [last]
    assert service.users(customer) == []
    assert service.event_count(customer) == 0


def test_an_import_that_fails_midway_stores_no_new_name(
        service: Service, customer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Names are mapped, then deriving the events fails: the mappings of the import
    before stay, and nothing of the failed one is stored."""
    from ccstats.importers.queue_log import importer

    import_logs(service, customer, [write(tmp_path, LINES)])
    before = (names.listed(service, customer), service.projects(customer),
              service.users(customer), service.event_count(customer))

    def failing(*args: Any, **options: Any) -> None:
        raise RuntimeError("the conversion failed")

    monkeypatch.setattr(importer, "convert", failing)
    grown = [*LINES, f"{T + 2000}|c9|extra|SIP/3000|CONNECT|5|c9.1|1",
             f"{T + 2010}|c9|extra|SIP/3000|COMPLETECALLER|5|10|1"]
    with pytest.raises(RuntimeError, match="the conversion failed"):
        import_logs(service, customer, [write(tmp_path, grown)])
    assert (names.listed(service, customer), service.projects(customer),
            service.users(customer), service.event_count(customer)) == before


def test_field_layouts_vary_and_are_read_as_far_as_they_go(service: Service, customer: str,
                                                           tmp_path: Path) -> None:
    lines = [
        f"{T}|c1|q|SIP/1|CONNECT|5",  # no bridged channel, no ring time
        f"{T + 10}|c1|q|SIP/1|COMPLETECALLER|5|10|1|extra|fields\r",  # CRLF, more fields
        f"{T + 20}|c2|q|SIP/1|RINGNOANSWER|1999|extra",  # 1.999 s: 1 ring second
        f"{T + 30}.250|c3|q|SIP/1|COMPLETEAGENT|2",  # fractional epoch; no calltime
        f"{T + 40}|c4|q|SIP/1",  # too few fields
        "99999999999|c5|q|SIP/1|RINGNOANSWER|1000",  # after 2099
        f"\u00b9{T + 50}|c6|q|SIP/1|RINGNOANSWER|1000",  # a superscript is no digit
    ]
    report = import_logs(service, customer, [write(tmp_path, lines, final_newline=True)])
    assert [line for _, line in report.malformed] == [5, 6, 7]
    found = by_user(service, customer)["1"]
    assert found["callInAnswered"] == (2, 10)  # c1 10 s; c3 without calltime: 0 s
    assert found["callInMissed"] == (1, 1)


def test_long_sessions_and_pauses_are_cut_at_midnight(service: Service, customer: str,
                                                      tmp_path: Path) -> None:
    """Logged in for two days from 10:00 UTC, paused across the first midnight."""
    lines = [f"{T}|NONE|q|SIP/7|ADDMEMBER|",
             f"{T + 50_000}|NONE|q|SIP/7|PAUSE|",
             f"{T + 60_000}|NONE|q|SIP/7|UNPAUSE|",
             f"{T + 172_800}|NONE|q|SIP/7|REMOVEMEMBER|"]
    import_logs(service, customer, [write(tmp_path, lines)])
    answer = service.query(customer, {"from": "20240101", "to": "20240103", "dimensions": "date",
                                      "fields": "userstateAvailable,userstateBreak",
                                      "projects": ",".join(str(p.project_id) for p in
                                                           service.projects(customer))})
    found = {r["date"]: {d["field"]: (d["count"], d["sum"]) for d in r["data"]}
             for r in records(answer)}
    # midnights at T + 50,400 and T + 136,800; the pause is 50,000-60,000
    assert found == {
        "2024-01-01": {"userstateAvailable": (1, 50_000), "userstateBreak": (1, 400)},
        "2024-01-02": {"userstateAvailable": (1, 86_400 - 9_600), "userstateBreak": (1, 9_600)},
        "2024-01-03": {"userstateAvailable": (1, 36_000)},
    }
