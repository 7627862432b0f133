"""Storing events through `Service` (events-and-kpis.md §1: identity, batches, registration)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest

from ccstats.errors import EventsRejected
from ccstats.ingest.lines import block_to_table
from ccstats.ingest.validate import ValidatedBlock, Validator
from ccstats.model import Project, Status, User, UserKind
from ccstats.service import Service
from ccstats.store.duckdb_store import DuckDBStore
from conftest import call, chat, ndjson, point, records, userstate

B = 1_714_550_400  # 2024-05-01T08:00:00Z
RANGE = {"from": "20240430", "to": "20240502"}
ALL_DIMS = {**RANGE, "dimensions": "project,user,date,time"}


def answer(service: Service, customer: str, **params: str) -> bytes:
    return service.query(customer, {**ALL_DIMS, **params})


def data_of(service: Service, customer: str, **params: str) -> dict[tuple[Any, ...], Any]:
    """{(dimension values...): {field: (count, sum)}} of a JSON answer."""
    result: dict[tuple[Any, ...], Any] = {}
    for record in records(answer(service, customer, **params)):
        key = tuple(v for k, v in record.items() if k not in ("data", "level"))
        result[key] = {d["field"]: (d["count"], d["sum"]) for d in record["data"]}
    return result


def totals(service: Service, customer: str) -> dict[str, tuple[Any, Any]]:
    """Every field's (count, sum) over all projects and users (all events are on one day)."""
    found = records(answer(service, customer, dimensions="date"))
    assert len(found) <= 1
    return {d["field"]: (d["count"], d["sum"]) for r in found for d in r["data"]}


def event_count(service: Service, customer: str) -> int:
    return service.event_count(customer)


def test_one_invalid_line_stores_nothing(service: Service, customer: str) -> None:
    service.ingest(customer, ndjson(userstate("a", "available", B, B + 60)))
    before = [answer(service, customer), answer(service, customer, of="csv")]
    projects = service.projects(customer)
    batch = ndjson(
        userstate("b", "break", B, B + 30, project=99, user=98),
        userstate("a", "available", B, B + 600),  # would replace a
        "",
        userstate("c", "available", B + 10, B + 5),  # end before start
        chat("d", B, B + 5),
    )
    with pytest.raises(EventsRejected) as caught:
        service.ingest(customer, batch)
    assert caught.value.rejected_lines == 1
    assert [e.param for e in caught.value.errors] == ["line 4: end"]
    assert caught.value.errors[0].code == "error.bad_arguments"
    assert [answer(service, customer), answer(service, customer, of="csv")] == before
    assert event_count(service, customer) == 1
    # Nothing of the batch was registered either.
    assert service.projects(customer) == projects


def test_replacement_by_id_counts_only_the_new_version(service: Service, customer: str) -> None:
    service.ingest(customer, ndjson(userstate("a", "available", B, B + 60),
                                    call("c", "in", B, B + 10, B + 100)))
    assert totals(service, customer) == {
        "userstateAvailable": (1, 60), "callIn": (None, 100), "callInAnswered": (1, 90)}
    # A different state, time and project for a; c becomes a missed call.
    stored = service.ingest(customer, ndjson(
        userstate("a", "break", B + 3600, B + 3720, project=2),
        call("c", "in", B, None, B + 40)))
    assert stored == 2
    assert totals(service, customer) == {
        "userstateBreak": (1, 120), "callIn": (None, 40), "callInMissed": (1, 40)}
    assert data_of(service, customer) == {
        ("2024-05-01", 800, 1, 1): {"callIn": (None, 40), "callInMissed": (1, 40)},
        ("2024-05-01", 900, 2, 1): {"userstateBreak": (1, 120)},
    }
    assert event_count(service, customer) == 2


def test_identical_restore_changes_nothing(service: Service, customer: str) -> None:
    events = [userstate("a", "available", B, B + 2000), point("p", "ticket", "created", B),
              call("c", "out", B - 50, B + 5, B + 905)]
    service.ingest(customer, ndjson(*events))
    before = [answer(service, customer, interval="15"), answer(service, customer, of="tab")]
    assert service.ingest(customer, ndjson(*events)) == 3
    # The same events written differently (ISO strings, fractions) are the same events.
    service.ingest(customer, ndjson(
        userstate("a", "available", "2024-05-01T10:00:00.9+02:00", "2024-05-01T08:33:20Z"),
        point("p", "ticket", "created", B + 0.5)))
    assert [answer(service, customer, interval="15"),
            answer(service, customer, of="tab")] == before
    assert event_count(service, customer) == 3


def test_mixed_batch_of_identical_and_changed_events(service: Service, customer: str) -> None:
    service.ingest(customer, ndjson(userstate("a", "available", B, B + 60),
                                    userstate("b", "break", B, B + 60)))
    service.ingest(customer, ndjson(userstate("a", "available", B, B + 60),
                                    userstate("b", "break", B, B + 90),
                                    chat("c", B, B + 1)))
    assert totals(service, customer) == {
        "userstateAvailable": (1, 60), "userstateBreak": (1, 90), "chatHandled": (1, 1)}


def test_deletion_removes_the_contribution(service: Service, customer: str) -> None:
    service.ingest(customer, ndjson(userstate("a", "available", B, B + 4000),
                                    userstate("b", "available", B + 100, B + 200)))
    assert totals(service, customer) == {"userstateAvailable": (2, 4100)}
    assert service.delete_event(customer, "a") is True
    assert totals(service, customer) == {"userstateAvailable": (1, 100)}
    assert event_count(service, customer) == 1
    assert service.delete_event(customer, "a") is False
    assert service.delete_event(customer, "never-stored") is False
    assert service.delete_event(customer, "b") is True
    assert answer(service, customer) == b'{"response":[],"errors":[]}'
    # A deleted id can be stored again.
    service.ingest(customer, ndjson(userstate("a", "break", B, B + 5)))
    assert totals(service, customer) == {"userstateBreak": (1, 5)}


def test_last_occurrence_wins_within_a_batch(service: Service, customer: str) -> None:
    stored = service.ingest(customer, ndjson(
        userstate("a", "available", B, B + 60),
        chat("b", B, B + 7),
        point("a", "email", "sent", B),
        userstate("a", "break", B, B + 30),
    ))
    assert stored == 4  # every valid line is stored; the last of an id remains
    assert totals(service, customer) == {"userstateBreak": (1, 30), "chatHandled": (1, 7)}
    assert event_count(service, customer) == 2


def test_unknown_projects_and_users_are_registered(service: Service, customer: str) -> None:
    service.create_project(customer, Project(5, "Sales", Status.INACTIVE))
    service.create_user(customer, User(7, "Robot", UserKind.SYSTEM, Status.INACTIVE))
    service.ingest(customer, ndjson(userstate("a", "available", B, B + 60, project=5, user=8),
                                    userstate("b", "available", B, B + 60, project=6, user=7),
                                    chat("c", B, B + 1, project=2**53 - 1, user=2**53 - 1)))
    assert service.projects(customer) == [
        Project(5, "Sales", Status.INACTIVE),
        Project(6, "Project 6", Status.ACTIVE),
        Project(2**53 - 1, f"Project {2**53 - 1}", Status.ACTIVE),
    ]
    assert service.users(customer) == [
        User(7, "Robot", UserKind.SYSTEM, Status.INACTIVE),
        User(8, "User 8", UserKind.AGENT, Status.ACTIVE),
        User(2**53 - 1, f"User {2**53 - 1}", UserKind.AGENT, Status.ACTIVE),
    ]
    # Registration happens once; later events never change what is there.
    service.update_project(customer, 6, status=Status.INACTIVE)
    service.ingest(customer, ndjson(userstate("d", "break", B, B + 1, project=6, user=8)))
    assert Project(6, "Project 6", Status.INACTIVE) in service.projects(customer)


def test_ids_of_a_rolled_back_batch_or_a_replaced_line_are_registered_when_stored(
        service: Service, customer: str) -> None:
    customer_id = service.customer(customer).customer_id

    def registered() -> tuple[list[int], list[int]]:
        return ([p.project_id for p in service.projects(customer)],
                [u.user_id for u in service.users(customer)])

    service.ingest(customer, ndjson(userstate("a", "available", B, B + 60, project=1, user=1)))
    # the first line of a repeated id is not stored, and neither are its project and user
    service.ingest(customer, ndjson(userstate("r", "available", B, B + 60, project=9, user=9),
                                    userstate("r", "available", B, B + 60, project=1, user=1)))
    assert registered() == ([1], [1])
    service.ingest(customer, ndjson(userstate("s", "available", B, B + 60, project=9, user=9)))
    assert registered() == ([1, 9], [1, 9])
    lines = block_to_table(ndjson(userstate("x", "break", B, B + 5, project=8, user=8)), 1)
    events = service._validator().validate(lines.table).events
    with pytest.raises(RuntimeError), service._store.writer(customer_id) as writer:
        writer.add(events)
        raise RuntimeError("the batch fails after its events were added")
    assert registered() == ([1, 9], [1, 9])
    service.ingest(customer, ndjson(userstate("t", "available", B, B + 60, project=8, user=8)))
    assert registered() == ([1, 8, 9], [1, 8, 9])


def test_customers_do_not_see_each_other(service: Service, customer: str) -> None:
    service.create_customer("other", "UTC", "pw")
    service.ingest(customer, ndjson(userstate("a", "available", B, B + 60)))
    service.ingest("other", ndjson(userstate("a", "break", B, B + 10, project=3)))
    assert totals(service, customer) == {"userstateAvailable": (1, 60)}
    assert totals(service, "other") == {"userstateBreak": (1, 10)}
    assert [p.project_id for p in service.projects("other")] == [3]
    assert service.delete_event("other", "a") is True
    assert totals(service, customer) == {"userstateAvailable": (1, 60)}
    assert event_count(service, customer) == 1


def test_json_array_body(service: Service, customer: str) -> None:
    events = [userstate("a", "available", B, B + 60), call("c", "out", B, None, B + 9),
              point("p", "disposition", "success", "2024-05-01T08:30:00Z")]
    service.create_customer("lines", "UTC", "pw")
    service.ingest("lines", ndjson(*events))
    assert service.ingest(customer, json.dumps(events, indent=2).encode()) == 3
    assert answer(service, customer) == answer(service, "lines")
    assert service.ingest(customer, b"  [ ]\n") == 0
    with pytest.raises(EventsRejected) as caught:
        service.ingest(customer, orjson.dumps([events[0], {"id": "x", "type": "chat"}]))
    assert {(p.line, p.member) for p in caught.value.problems} == {
        (2, "userId"), (2, "projectId"), (2, "start"), (2, "end")}


def test_import_files_skip_invalid_writes_rejects_verbatim(service: Service, customer: str,
                                                           tmp_path: Path) -> None:
    bad_1 = b'{"id": "b1", "type": "chat", "start": 5, "end": 1, "projectId": 1, "userId": 1}'
    bad_2 = b"this is not json \xc3\xa9\r"
    good = ndjson(userstate("a", "available", B, B + 60), chat("c", B, B + 20))
    good_lines = good.splitlines(keepends=True)
    first = tmp_path / "first.ndjson"
    first.write_bytes(good_lines[0] + bad_1 + b"\n\n" + bad_2 + b"\n" + good_lines[1])
    second = tmp_path / "second.ndjson"
    bad_3 = b'  {"id": "b3", "type": "fax"}'
    second.write_bytes(ndjson(point("p", "ticket", "closed", B)) + bad_3)  # no final newline
    rejects = tmp_path / "rejects.ndjson"
    report = service.import_files(customer, [first, second], skip_invalid=True, rejects=rejects)
    assert (report.stored, report.rejected, report.lines) == (3, 3, 7)
    assert rejects.read_bytes() == bad_1 + b"\n" + bad_2 + b"\n" + bad_3 + b"\n"
    assert [(source, p.line) for source, p in report.problems][:3] == [
        (str(first), 2), (str(first), 4), (str(second), 2)]
    assert totals(service, customer) == {
        "userstateAvailable": (1, 60), "ticketClosed": (1, None), "chatHandled": (1, 20)}
    assert event_count(service, customer) == 3


def test_import_files_skip_invalid_with_a_non_utf8_line(service: Service, customer: str,
                                                        tmp_path: Path) -> None:
    # api.md: with --skip-invalid the valid events are stored and the bad lines are
    # counted and written to --rejects; a line that is not UTF-8 is one bad line.
    bad = b'{"id": "caf\xe9", "type": "chat"}\n'
    path = tmp_path / "latin1.ndjson"
    path.write_bytes(ndjson(chat("a", B, B + 1)) + bad + ndjson(chat("b", B, B + 2)))
    rejects = tmp_path / "rejects.ndjson"
    report = service.import_files(customer, [path], skip_invalid=True, rejects=rejects)
    assert [(s, str(p)) for s, p in report.problems] == [(str(path), "line 2: not UTF-8 text")]
    assert (report.stored, report.rejected, report.lines) == (2, 1, 3)
    assert rejects.read_bytes() == bad
    assert totals(service, customer) == {"chatHandled": (2, 3)}


def test_non_utf8_line_rejects_the_batch(service: Service, customer: str,
                                         tmp_path: Path) -> None:
    with pytest.raises(EventsRejected) as caught:
        service.ingest(customer, ndjson(chat("a", B, B + 1)) + b'{"id": "\xff"}\n')
    assert [e.param for e in caught.value.errors] == ["line 2"]
    path = tmp_path / "bad.ndjson"
    path.write_bytes(ndjson(chat("a", B, B + 1)) + b"\xc3(\n")
    report = service.import_files(customer, [path])
    assert (report.stored, report.rejected) == (0, 1)
    assert event_count(service, customer) == 0


def test_the_first_100_bad_lines_of_both_kinds_are_reported(service: Service,
                                                            customer: str) -> None:
    # lines 1-60 and 121-200 break a rule, lines 61-120 are not UTF-8
    def invalid(count: int) -> bytes:
        return ndjson(*(chat(f"x{n}", B, B - 1) for n in range(count)))
    not_utf8 = b'{"id": "caf\xe9"}\n' * 60
    with pytest.raises(EventsRejected) as caught:
        service.ingest(customer, invalid(60) + not_utf8 + invalid(80))
    assert sorted({p.line for p in caught.value.problems}) == list(range(1, 101))
    assert len(caught.value.errors) == 100
    assert caught.value.rejected_lines == 200


def test_import_files_without_skip_invalid_stores_nothing(service: Service, customer: str,
                                                         tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    path.write_bytes(ndjson(userstate("a", "available", B, B + 60),
                            userstate("b", "available", B, "2024-05-01T08:00:00")))
    report = service.import_files(customer, [path])
    assert (report.stored, report.rejected, report.lines) == (0, 1, 2)
    assert [(s, str(p)) for s, p in report.problems] == [
        (str(path), "line 2: end: timestamp has no UTC offset; write "
                    "2024-03-01T10:00:00+01:00 or epoch seconds")]
    assert event_count(service, customer) == 0
    assert answer(service, customer) == b'{"response":[],"errors":[]}'
    assert service.projects(customer) == []


def test_import_files_later_file_wins(service: Service, customer: str, tmp_path: Path) -> None:
    first = tmp_path / "1.ndjson"
    first.write_bytes(ndjson(userstate("x", "available", B, B + 60),
                             chat("y", B, B + 3), chat("z", B, B + 4),
                             userstate("w", "prework", B, B + 2)))
    second = tmp_path / "2.ndjson"
    second.write_bytes(ndjson(userstate("x", "break", B, B + 30)))
    report = service.import_files(customer, [first, second])
    assert (report.stored, report.rejected, report.lines) == (5, 0, 5)
    assert totals(service, customer) == {"userstatePrework": (1, 2), "userstateBreak": (1, 30),
                                         "chatHandled": (2, 7)}
    # And in the other order, the other version wins.
    service.import_files(customer, [second, first])
    assert totals(service, customer) == {"userstateAvailable": (1, 60),
                                         "userstatePrework": (1, 2), "chatHandled": (2, 7)}


def test_rebuild_keeps_every_answer(service: Service, customer: str) -> None:
    service.create_customer("budapest", "Europe/Budapest", "pw")
    for name in (customer, "budapest"):
        service.ingest(name, ndjson(
            userstate("a", "available", B - 4000, B + 3000, project=1, user=1),
            call("c", "in", B, B + 100, B + 1000, project=2, user=1),
            call("d", "out", B + 10, None, B + 20, project=1, user=2),
            point("p", "email", "received", B + 7, project=1, user=2),
            chat("h", B + 899, B + 901, project=2, user=2),
        ))
        service.ingest(name, ndjson(userstate("a", "break", B - 4000, B + 3000, user=3),
                                    chat("h", B + 899, B + 899, project=2, user=2)))
        service.delete_event(name, "d")
    queries: list[dict[str, str]] = [
        {}, {"of": "csv", "interval": "15"}, {"dimensions": "time,user", "of": "tab"},
        {"timezone": "Asia/Kolkata", "interval": "30"}, {"dimensions": "date"},
    ]

    def answers() -> list[bytes]:
        return [answer(service, name, **q) for name in (customer, "budapest") for q in queries]

    before = answers()
    service.compact()
    assert answers() == before
    assert service.rebuild(customer) == 4
    assert answers() == before
    assert service.rebuild() == 8
    assert answers() == before
    assert totals(service, customer) == {
        "userstateBreak": (1, 7000), "callIn": (None, 1000), "callInAnswered": (1, 900),
        "emailReceived": (1, None), "chatHandled": (1, 0)}


def test_a_batch_appends_its_sums_by_day_then_user(service: Service, customer: str) -> None:
    """The DuckDB store appends each grain of a batch by day, then user (so that a
    query for few users skips the others' row groups); the input here runs by user."""
    if not isinstance(service._store, DuckDBStore):
        pytest.skip("a DuckDB store's layout")
    day = 86_400
    service.ingest(customer, ndjson(*(
        userstate(f"u{user}-d{d}-{n}", "available", B + d * day + n * 600,
                  B + d * day + n * 600 + 900, user=user)
        for user in (5, 3, 9, 1) for d in (1, 0) for n in range(3))))
    db = service._store._db
    for table, day_of in (("sums", f"qh // {day // 900}"), ("sums_hour", "day"),
                          ("sums_day", "day")):
        rows = db.execute(f"SELECT {day_of}, user_id FROM {table} ORDER BY rowid").fetchall()
        assert len(rows) >= 8 and rows == sorted(rows), table


class CountingValidator(Validator):
    """The real validator, counting the lines it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.lines = 0

    def validate(self, lines: pa.Table, line_limit: int = 100) -> ValidatedBlock:
        self.lines += lines.num_rows
        return super().validate(lines, line_limit)


def test_blank_lines_never_reach_the_validator_and_keep_their_numbers(
        service: Service, customer: str, tmp_path: Path) -> None:
    counting = CountingValidator()
    service._local.validator = counting  # this thread's validator
    try:
        event = ndjson(chat("a", B, B + 1))
        assert service.ingest(customer, event + b"\n" * 2_000_000 + b" \r\n\t\n" + event) == 2
        assert counting.lines == 2
        with pytest.raises(EventsRejected) as caught:
            service.ingest(customer, event + b"\n" * 1_000_000 + ndjson(chat("b", B, B - 1)))
        assert [e.param for e in caught.value.errors] == ["line 1000002: end"]
        assert counting.lines == 4
    finally:
        counting.close()
    path = tmp_path / "blank.ndjson"
    path.write_bytes(b"\n" * 1_000_000 + ndjson(chat("c", B, B + 2)) + b"\n\n")
    report = service.import_files(customer, [path])
    assert (report.stored, report.rejected, report.lines) == (1, 0, 1_000_003)
    assert totals(service, customer) == {"chatHandled": (2, 3)}


def test_a_byte_order_mark_at_the_start_is_skipped(service: Service, customer: str,
                                                   tmp_path: Path) -> None:
    bom = "\ufeff".encode()
    events = [chat("a", B, B + 1), chat("b", B, B + 2)]
    assert service.ingest(customer, bom + ndjson(*events)) == 2
    assert service.ingest(customer, bom + b" \n" + json.dumps(events).encode()) == 2
    path = tmp_path / "bom.ndjson"
    path.write_bytes(bom + ndjson(chat("c", B, B + 4)))
    assert service.import_files(customer, [path]).stored == 1
    assert totals(service, customer) == {"chatHandled": (3, 7)}
    # anywhere else it is a character like any other, and no JSON
    with pytest.raises(EventsRejected) as caught:
        service.ingest(customer, ndjson(events[0]) + bom + ndjson(events[1]))
    assert [(e.param, e.message) for e in caught.value.errors] == [
        ("line 2", "line 2: not valid JSON; write one event object per line")]


def test_a_syntax_error_in_a_json_array_names_its_element(service: Service,
                                                          customer: str) -> None:
    texts = [json.dumps(chat(f"e{n}", B, B + n)) for n in range(4)]

    def problems(body: str) -> list[tuple[str | None, str]]:
        with pytest.raises(EventsRejected) as caught:
            service.ingest(customer, body.encode())
        return [(e.param, e.message) for e in caught.value.errors]

    # no comma between the second and the third element
    body = f"[{texts[0]}, {texts[1]} {texts[2]}]"
    column = len(f"[{texts[0]}, {texts[1]} ") + 1
    assert problems(body) == [(
        "element 2", f"element 2: not valid JSON: unexpected character, expected ',' or ']' "
                     f"at line 1 column {column}; send a JSON array of event objects")]
    # a broken member in the third element of a pretty-printed array, and a trailing comma
    broken = texts[2].replace('"start":', '"start"')
    body = "[\n  " + ",\n  ".join([*texts[:2], broken, texts[3]]) + "\n]"
    column = len('  {"id": "e2", "type": "chat", "start"') + 2
    assert problems(body) == [(
        "element 3", f"element 3: not valid JSON: unexpected character, expected ':' after key"
                     f" at line 4 column {column}; send a JSON array of event objects")]
    assert [p for p, _ in problems(f"[{texts[0]}, {texts[1]},]")] == ["element 2"]
    assert [p for p, _ in problems(f'[{texts[0]}, {{"id": "x]')] == ["element 2"]
    # what is no event is named by its element too
    assert problems(f"[{texts[0]}, 17]") == [
        ("element 2", "element 2: an event must be a JSON object")]
    assert problems(f'[{texts[0]}, {{"id": "e1"}}]')[0][0] == "element 2: type"
    assert event_count(service, customer) == 0


def test_a_member_given_twice_is_refused_alike_in_every_form(service: Service, customer: str,
                                                             tmp_path: Path) -> None:
    line = json.dumps(chat("d", B, B + 1, project=97))[:-1] + ', "projectId": 98}'
    for body, place in ((line + "\n", "line 1"), (f"[{line}]", "element 1"),
                        (f'[{json.dumps(chat("e", B, B + 1))},\n {line}]', "element 2")):
        with pytest.raises(EventsRejected) as caught:
            service.ingest(customer, body.encode())
        assert [(e.param, e.code, e.message) for e in caught.value.errors] == [
            (f"{place}: projectId", "error.wrong_format",
             f"{place}: projectId: given more than once; write each member once")]
    path = tmp_path / "twice.ndjson"
    path.write_text(line + "\n")
    report = service.import_files(customer, [path])
    assert (report.stored, report.rejected) == (0, 1)
    assert [str(p) for _, p in report.problems] == [
        "line 1: projectId: given more than once; write each member once"]
    assert event_count(service, customer) == 0
    assert service.projects(customer) == []
