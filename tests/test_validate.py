"""Validation of event lines (events-and-kpis.md §1; ccstats.ingest.validate).

The first half checks the problems reported for typical mistakes: the line, the
member, the code and a message that says what to write. The second half is a
property test: the Validator's fast pass accepts a line iff its diagnosis finds
no problem in it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from ccstats.errors import EventsRejected
from ccstats.events import EVENT_TYPES, MAX_EPOCH, SUBTYPES, EventError
from ccstats.ingest.lines import block_to_table
from ccstats.ingest.reading import MEMBERS
from ccstats.ingest.rules import REPEATED, RULES, UNEXPLAINED, WRONG_FORMAT, Rule
from ccstats.ingest.validate import Validator, _commas
from ccstats.service import Service
from conftest import call, chat, ndjson, point, queue_call, userstate

WRITE_TS = "write 2024-03-01T10:00:00+01:00 or epoch seconds"
T0 = 1_700_000_000  # 2023-11-14T22:13:20Z
NOW = int(time.time())
BLANK = " \t\r\n"

BASE = userstate("e-1", "available", T0, T0 + 60, project=3, user=4)
CALL = call("c-1", "in", T0, None, T0 + 60, project=3, user=4)
QUEUED = queue_call("q-1", 5, T0, T0 + 20, T0 + 60, project=3, user=4)
ABANDONED = queue_call("q-2", 5, T0, None, T0 + 60, project=3)


def changed(event: dict[str, Any], **members: Any) -> dict[str, Any]:
    """`event` with members replaced; the value ``...`` drops a member."""
    result = dict(event)
    for name, value in members.items():
        if value is ...:
            result.pop(name, None)
        else:
            result[name] = value
    return result


@pytest.fixture(scope="module")
def validator() -> Iterator[Validator]:
    checker = Validator()
    yield checker
    checker.close()


def diagnose(validator: Validator, data: bytes) -> list[EventError]:
    return validator.diagnose(block_to_table(data, 1).table)


# --- one mistake per line -------------------------------------------------------------

CASES: list[tuple[str, dict[str, Any] | str, str | None, str, str]] = [
    ("missing id", changed(BASE, id=...), "id", "error.required",
     "missing; write 1 to 128 characters of A-Z a-z 0-9 . _ : -"),
    ("null id", changed(BASE, id=None), "id", "error.required", "missing"),
    ("bad id chars", changed(BASE, id="a b/c"), "id", "error.wrong_format",
     "must be a string of 1 to 128 characters of A-Z a-z 0-9 . _ : -"),
    ("id too long", changed(BASE, id="x" * 129), "id", "error.wrong_format",
     "1 to 128 characters"),
    ("numeric id", changed(BASE, id=12), "id", "error.wrong_format", "must be a string"),
    ("unknown type", changed(BASE, type="fax"), "type", "error.wrong_format",
     "must be one of userstate, call, disposition, email, ticket, chat, queuecall"),
    ("missing type", changed(BASE, type=...), "type", "error.required", "missing"),
    ("userId 0", changed(BASE, userId=0), "userId", "error.wrong_format",
     "must be an integer from 1 to 9007199254740991"),
    ("userId 1.5", changed(BASE, userId=1.5), "userId", "error.wrong_format",
     "must be an integer"),
    ('userId "3"', changed(BASE, userId="3"), "userId", "error.wrong_format",
     "must be an integer"),
    ("userId negative", changed(BASE, userId=-3), "userId", "error.wrong_format",
     "must be an integer"),
    ("userId 2**53", changed(BASE, userId=2**53), "userId", "error.wrong_format",
     "must be an integer"),
    ("missing projectId", changed(BASE, projectId=...), "projectId", "error.required",
     "missing"),
    ("unknown state", changed(BASE, state="lunch"), "state", "error.wrong_format",
     "must be one of available, call,"),
    ("missing direction", changed(CALL, direction=...), "direction", "error.required",
     "missing; write one of in, out"),
    ("no offset", changed(BASE, start="2024-03-01T10:00:00"), "start", "error.wrong_format",
     f"timestamp has no UTC offset; {WRITE_TS}"),
    ("no offset, space", changed(BASE, start="2024-03-01 10:00:00.250"), "start",
     "error.wrong_format", f"timestamp has no UTC offset; {WRITE_TS}"),
    ("Feb 30", changed(BASE, start="2020-02-30T10:00:00Z"), "start", "error.wrong_format",
     f"not a real date and time; {WRITE_TS}"),
    ("not a timestamp", changed(BASE, end="yesterday"), "end", "error.wrong_format",
     f"not a timestamp; {WRITE_TS}"),
    ("timestamp true", changed(BASE, end=True), "end", "error.wrong_format",
     "must be a string or a number"),
    ("before 1970", changed(BASE, start=-1), "start", "error.wrong_format", "out of range"),
    ("2100", changed(BASE, end=MAX_EPOCH), "end", "error.wrong_format",
     "out of range; timestamps must lie in 1970-01-01T00:00:00Z to 2099-12-31T23:59:59Z"),
    ("missing time", changed(point("d-1", "disposition", "success", T0), time=...), "time",
     "error.required", f"missing; {WRITE_TS}"),
    ("missing end", changed(BASE, end=...), "end", "error.required",
     f"missing; {WRITE_TS}, or null for an interval still going on"),
    ("open interval starting later", changed(BASE, start=NOW + 86_400, end=None), "start",
     "error.bad_arguments", "lies more than 300 seconds after the server's clock"),
    ("end before start", changed(BASE, end=T0 - 1), "end", "error.bad_arguments",
     "is before start; end must not precede start"),
    ("interval > 86400", changed(BASE, end=T0 + 86_401), "end", "error.bad_arguments",
     "the interval is longer than 86400 seconds"),
    ("answer before start", changed(CALL, answer=T0 - 1), "answer", "error.bad_arguments",
     "must lie between start and end, or be null for an unanswered call"),
    ("answer after end", changed(CALL, answer=T0 + 61), "answer", "error.bad_arguments",
     "must lie between start and end"),
    ("call without answer", changed(CALL, answer=...), "answer", "error.required",
     "missing; write null for an unanswered call, or the answer time"),
    ("answer without offset", changed(CALL, answer="2023-11-14T22:13:30"), "answer",
     "error.wrong_format", "timestamp has no UTC offset"),
    ("queue call without queueId", changed(QUEUED, queueId=...), "queueId", "error.required",
     "missing; write an integer from 1 to 9007199254740991"),
    ("queueId 0", changed(QUEUED, queueId=0), "queueId", "error.wrong_format",
     "must be an integer from 1 to"),
    ('queueId "5"', changed(QUEUED, queueId="5"), "queueId", "error.wrong_format",
     "must be an integer"),
    ("queue call answer before start", changed(QUEUED, answer=T0 - 1), "answer",
     "error.bad_arguments", "must lie between start and end"),
    ("queue call without answer", changed(QUEUED, answer=...), "answer", "error.required",
     "missing; write null for an unanswered call"),
    ("queue call answered by nobody", changed(QUEUED, userId=None), "userId",
     "error.required", "missing; write the id of the agent who answered the queue call"),
    ("queue call userId but no answer", changed(ABANDONED, userId=4), "userId",
     "error.bad_arguments", "must be null for a queue call that was not answered"),
    ("queue call userId 0", changed(QUEUED, userId=0), "userId", "error.wrong_format",
     "or null for a queue call that was not answered"),
    ("queue call end before start", changed(ABANDONED, end=T0 - 1), "end",
     "error.bad_arguments", "is before start"),
    ("queue call > 86400", changed(ABANDONED, end=T0 + 86_401), "end",
     "error.bad_arguments", "longer than 86400 seconds"),
    ("userstate userId null", changed(BASE, userId=None), "userId", "error.required",
     "missing"),
    ("not JSON", '{"id": "e-1", "type": ', None, "error.wrong_format",
     "not valid JSON; write one event object per line"),
    ("JSON array line", "[" + json.dumps(BASE) + "]", None, "error.wrong_format",
     "an event must be a JSON object"),
    ("JSON number line", "17", None, "error.wrong_format", "an event must be a JSON object"),
    ("member given twice", json.dumps(BASE)[:-1] + ', "projectId": 4}', "projectId",
     "error.wrong_format", "given more than once; write each member once"),
    ("member given twice alike", json.dumps(BASE)[:-1] + ', "state": "available"}', "state",
     "error.wrong_format", "given more than once"),
    ("unknown member given twice", json.dumps({**BASE, "note": 1})[:-1] + ', "note": 1}',
     "note", "error.wrong_format", "given more than once"),
]


@dataclass(frozen=True)
class CaseResults:
    """All CASES checked in one batch: case i is on line 4 + 2 i, a blank line after it."""

    problems: dict[int, list[EventError]]
    errors: dict[int, list[EventError]]
    rejected: list[int]
    accepted: list[int]


def case_line(index: int) -> int:
    return 4 + 2 * index


@pytest.fixture(scope="module")
def case_results(validator: Validator) -> CaseResults:
    # A valid line and two blank lines (numbered, never reported) come first.
    lines: list[dict[str, Any] | str] = [BASE, "", "   \t"]
    for _, line, *_ in CASES:
        lines += [line, " "]
    table = block_to_table(ndjson(*lines), 1).table
    problems: dict[int, list[EventError]] = {}
    for problem in validator.diagnose(table):
        problems.setdefault(problem.line, []).append(problem)
    checked = validator.validate(table, 1000)
    errors: dict[int, list[EventError]] = {}
    for problem in checked.errors:
        errors.setdefault(problem.line, []).append(problem)
    return CaseResults(problems, errors, checked.rejected_lines,
                       checked.events.column("line_no").to_pylist())


def test_cases_batch_rejects_exactly_the_case_lines(case_results: CaseResults) -> None:
    assert case_results.accepted == [1]
    assert case_results.rejected == [case_line(i) for i in range(len(CASES))]
    assert sorted(case_results.problems) == case_results.rejected


@pytest.mark.parametrize(("index", "member", "code", "message"),
                         [(i, *case[2:]) for i, case in enumerate(CASES)],
                         ids=[case[0] for case in CASES])
def test_one_problem_is_named_by_line_and_member(
    case_results: CaseResults, index: int, member: str | None, code: str, message: str,
) -> None:
    number = case_line(index)
    problems = case_results.problems.get(number, [])
    assert len(problems) == 1, problems
    problem = problems[0]
    assert (problem.line, problem.member, problem.code) == (number, member, code)
    assert message in problem.message
    assert problem.param == (f"line {number}: {member}" if member else f"line {number}")
    assert str(problem) == f"{problem.param}: {problem.message}"
    assert case_results.errors[number] == problems


def test_every_problem_of_a_line_is_reported(validator: Validator) -> None:
    line = {"type": "call", "direction": "sideways", "start": "2024-03-01T10:00:00",
            "answer": 5, "end": "soon", "userId": 0, "projectId": "7"}
    problems = diagnose(validator, ndjson(line))
    assert [(p.member, p.code) for p in problems] == [
        ("id", "error.required"),
        ("userId", "error.wrong_format"),
        ("projectId", "error.wrong_format"),
        ("direction", "error.wrong_format"),
        ("start", "error.wrong_format"),
        ("end", "error.wrong_format"),
    ]
    assert {p.line for p in problems} == {1}


def test_valid_lines_of_every_type_pass(validator: Validator) -> None:
    lines = [
        userstate("u", "waitingForRecall", "2024-03-31T01:59:59.999+01:00",
                  "2024-03-31T03:00:00+02:00"),
        call("c", "out", T0, T0 + 5.75, T0 + 60),
        call("c2", "in", "2023-11-14 22:13:20Z", None, "2023-11-14T22:13:20z"),
        point("d", "disposition", "reachFailed", T0),
        point("m", "email", "received", "2023-11-15T03:43:20+05:30"),
        point("t", "ticket", "closed", "2023-11-14T17:13:20-0500"),
        chat("ch", T0, T0 + 86_400),
        changed(userstate("x" * 128, "break", T0, T0), extra={"ignored": [1, 2]}),
        queue_call("q", 7, T0, T0 + 20, T0 + 60, project=2, user=9),
        queue_call("q2", 7, T0, None, T0 + 30, project=2),
        changed(queue_call("q3", 8, T0, None, T0 + 30), userId=...),
        changed(userstate("open", "call", NOW + 300, NOW), end=None),
        changed(queue_call("q4", 8, T0, T0 + 9, T0 + 30, user=3), end=None),
    ]
    checked = validator.validate(block_to_table(ndjson(*lines), 1).table)
    assert checked.rejected_lines == []
    events = checked.events.to_pylist()
    assert [(e["type"], e["subtype"]) for e in events] == [
        ("userstate", "waitingForRecall"), ("call", "out"), ("call", "in"),
        ("disposition", "reachFailed"), ("email", "received"), ("ticket", "closed"),
        ("chat", None), ("userstate", "break"), ("queuecall", None), ("queuecall", None),
        ("queuecall", None), ("userstate", "call"), ("queuecall", None),
    ]
    assert [(e["queue_id"], e["user_id"], e["t_answer"]) for e in events[8:11]] == [
        (7, 9, T0 + 20), (7, 0, None), (8, 0, None)]
    assert [(e["t_start"], e["t_end"]) for e in events[11:]] == [(NOW + 300, None),
                                                                 (T0, None)]
    assert {e["queue_id"] for e in events[:8]} == {0}
    # Floored to whole seconds; offsets applied.
    assert (events[0]["t_start"], events[0]["t_end"]) == (1711846799, 1711846800)
    assert (events[1]["t_start"], events[1]["t_answer"], events[1]["t_end"]) == (
        T0, T0 + 5, T0 + 60)
    assert events[2]["t_answer"] is None
    assert [events[i]["t_start"] for i in (2, 3, 4, 5)] == [T0] * 4
    assert [e["line_no"] for e in events] == list(range(1, 14))


def test_blank_lines_are_skipped_but_numbered(validator: Validator) -> None:
    data = b"\n  \n" + ndjson(BASE) + b"\r\n\t\n" + ndjson(changed(BASE, userId=0)) + b"\n"
    checked = validator.validate(block_to_table(data, 1).table)
    assert checked.events.column("line_no").to_pylist() == [3]
    assert checked.rejected_lines == [6]
    assert [p.param for p in checked.errors] == ["line 6: userId"]
    assert diagnose(validator, b"\n\n   \n") == []


def test_a_line_that_is_no_json_is_named_whatever_its_characters(validator: Validator) -> None:
    # (DuckDB's message on it quotes the line cut at a byte count, inside a character)
    for text in ("x\u00e9" * 30, "0" * 8 + "\U00010000" * 6 + "\u0800"):
        checked = validator.validate(block_to_table(text.encode(), 1).table)
        assert [str(e) for e in checked.errors] == [
            "line 1: not valid JSON; write one event object per line"]


def test_service_rejects_a_batch_naming_line_and_member(service: Service,
                                                        customer: str) -> None:
    data = ndjson(BASE, "", changed(BASE, id="e-2", start="2024-03-01T10:00:00"),
                  changed(BASE, id="e-3", userId="3"))
    with pytest.raises(EventsRejected) as caught:
        service.ingest(customer, data)
    rejected = caught.value
    assert rejected.rejected_lines == 2
    assert [e.as_dict() for e in rejected.errors] == [
        {"code": "error.wrong_format", "param": "line 3: start",
         "message": f"line 3: start: timestamp has no UTC offset; {WRITE_TS}"},
        {"code": "error.wrong_format", "param": "line 4: userId",
         "message": "line 4: userId: must be an integer from 1 to 9007199254740991"},
    ]


#: The fewest members a valid event of each type has.
MINIMAL = {
    "userstate": BASE,
    "call": CALL,
    "disposition": point("d-1", "disposition", "success", T0),
    "email": point("m-1", "email", "sent", T0),
    "ticket": point("t-1", "ticket", "created", T0),
    "chat": chat("ch-1", T0, T0 + 60),
    "queuecall": changed(ABANDONED, userId=...),
}


def test_the_rules_name_known_types_and_members() -> None:
    assert set(MINIMAL) == set(EVENT_TYPES)
    for rule in RULES:
        assert rule.types is None or rule.types <= set(EVENT_TYPES), rule
        assert rule.member is None or rule.member in MEMBERS, rule
        assert not rule.alone or (rule.member is None and rule.each is None), rule


def test_every_member_of_a_minimal_event_is_required(validator: Validator) -> None:
    lines = [changed(event, **{name: ...}) for event in MINIMAL.values() for name in event]
    checked = validator.validate(block_to_table(ndjson(*MINIMAL.values(), *lines), 1).table)
    assert sorted(checked.events.column("line_no").to_pylist()) == list(
        range(1, len(MINIMAL) + 1))
    assert len(checked.rejected_lines) == len(lines)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_a_member_given_twice_is_found_beside_the_fewest_members(
        validator: Validator, event_type: str) -> None:
    """The fast pass takes a line with as many commas as its type's fewest members
    have for one without repeated names: a line with one more member, or as many
    members with one of them missing, must not pass for one when a name repeats
    (with the same value)."""
    event = list(MINIMAL[event_type].items())
    lines, twice = [], []
    for index, member in enumerate(event):
        others = event[:index] + event[index + 1:]
        for members in ([*event, member], [*others, others[0]]):
            lines.append("{" + ", ".join(f"{json.dumps(n)}: {json.dumps(v)}"
                                         for n, v in members) + "}")
            twice.append((len(lines), members[-1][0]))
    checked = validator.validate(block_to_table(ndjson(*lines), 1).table)
    assert checked.rejected_lines == list(range(1, len(lines) + 1))
    assert [(e.line, e.member) for e in checked.errors if e.message == REPEATED] == twice


def test_a_line_rejected_without_a_diagnosed_problem_is_named_not_failed(
        caplog: pytest.LogCaptureFixture) -> None:
    # A rule whose list of members can be empty where it is broken: the fast pass
    # rejects the line, and the diagnosis names no member.
    trap = Rule(None, "contains(raw, 'trap')", WRONG_FORMAT, "a trap", each="[]::VARCHAR[]")
    checker = Validator((*RULES, trap))
    try:
        with caplog.at_level(logging.ERROR, logger="ccstats.ingest.validate"):
            checked = checker.validate(block_to_table(ndjson(
                BASE, changed(BASE, id="trap"), changed(BASE, id="e-3", userId=0)), 1).table)
    finally:
        checker.close()
    assert checked.events.column("line_no").to_pylist() == [1]
    assert checked.rejected_lines == [2, 3]
    assert [(e.line, e.member, e.code) for e in checked.errors] == [
        (2, None, "error.wrong_format"), (3, "userId", "error.wrong_format")]
    assert str(checked.errors[0]) == (
        "line 2: does not satisfy the event rules of events-and-kpis.md §1")
    assert [r.getMessage() for r in caplog.records] == [
        "line 2: rejected by the fast pass, but the diagnosis finds no problem in it"]


def test_problems_of_the_first_100_lines_are_reported(validator: Validator) -> None:
    bad = [changed(BASE, id=f"e{i}", userId=0, projectId=0) for i in range(150)]
    checked = validator.validate(block_to_table(ndjson(*bad), 1).table, 100)
    assert checked.rejected_lines == list(range(1, 151))
    assert sorted({p.line for p in checked.errors}) == list(range(1, 101))
    assert {p.member for p in checked.errors} == {"userId", "projectId"}


def test_the_first_invalid_lines_of_a_large_block_are_diagnosed(validator: Validator) -> None:
    # a block of several row groups, which DuckDB's threads scan in no fixed order
    good = json.dumps(changed(BASE, id="e{n}"))
    bad = json.dumps(changed(BASE, id="e{n}", userId=0))
    count, every = 600_000, 3_000
    data = "\n".join((bad if n % every == 0 else good).replace("{n}", str(n))
                      for n in range(1, count + 1)).encode()
    checked = validator.validate(block_to_table(data, 1).table, 100)
    assert checked.rejected_lines == list(range(every, count + 1, every))
    assert sorted({p.line for p in checked.errors}) == list(range(every, 100 * every + 1, every))
    assert checked.events.num_rows == count - count // every


def test_service_reports_one_error_per_line_capped_at_100(service: Service,
                                                          customer: str) -> None:
    bad = [changed(BASE, id=f"e{i}", userId=0, projectId=0) for i in range(150)]
    with pytest.raises(EventsRejected) as caught:
        service.ingest(customer, ndjson(BASE, *bad))
    rejected = caught.value
    assert rejected.rejected_lines == 150
    assert [e.param for e in rejected.errors] == [f"line {n}: userId" for n in range(2, 102)]
    assert rejected.errors[0].code == "error.wrong_format"
    assert "projectId" in rejected.errors[0].message


# --- property: the fast pass and the diagnosis agree ----------------------------------

#: Examples of the property test (each costs two diagnosis runs, about 0.3 s);
#: raise it with CCSTATS_VALIDATE_EXAMPLES for a longer hunt.
EXAMPLES = int(os.environ.get("CCSTATS_VALIDATE_EXAMPLES", "40"))
ID_CHARS = "ABCXYZabcxyz0189._:-"
OFFSETS_MINUTES = (0, 60, 120, -60, -300, 330, 345, 630, -570, 840, -720, 59)
JUNK_TEXTS = (
    "null", "true", "false", "0", "-0", "-1", "1", "1.5", "-0.0", "1e3", "1E9", "2.5e-3",
    "1e400", "-1e400", "99999999999999999999", "18446744073709551615", "9223372036854775808",
    "9007199254740991", "9007199254740992", "4102444799", "4102444800", "4102444799.999",
    "[]", "{}", '{"a":1}', "[1,2]", '""', '"\\u0041"', '"\\u00e9t\\u00e9"', '"\\n"',
    '"\\""', '"\\\\"', '"  "', '"1700000000"', '"2024-03-01T10:00:00"',
    '"2024-03-01T10:00:00+25:00"', '"2024-02-29T24:00:00Z"', '"2023-02-29T10:00:00Z"',
    '"2024-03-01T10:00:60Z"', '"0000-01-01T00:00:00Z"', '"9999-12-31T23:59:59Z"',
    '"1969-12-31T23:59:59.9Z"', '"2024-03-01T10:00Z"', '"2024-03-01T10:00:00.Z"',
    '"2024-3-1T10:00:00Z"', '"2024-03-01T10:00:00+01:00 "', '" 2024-03-01T10:00:00Z"',
    '"\\u0032024-03-01T10:00:00Z"', '"2024-03-01T10:00:00\\u002b01:00"', '"userstate"',
    '"call"', '"in"', '"available"', '"Available"', '"chat"', '"\\u0063all"', '"ev-1"',
)


def escape_some(text: str, mask: list[bool]) -> str:
    """`text` as a JSON string with the characters chosen by `mask` written as \\uXXXX."""
    out = []
    for index, char in enumerate(text):
        if mask[index % len(mask)] if mask else False:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(json.dumps(char)[1:-1])
    return '"' + "".join(out) + '"'


@st.composite
def json_string(draw: st.DrawFn, text: str) -> str:
    """`text` as JSON, sometimes with some characters escaped."""
    if draw(st.integers(0, 3)) == 0:
        return escape_some(text, draw(st.lists(st.booleans(), min_size=1, max_size=5)))
    return json.dumps(text)


def iso(epoch: int, offset_minutes: int, separator: str, fraction: str, style: int) -> str:
    local = datetime.fromtimestamp(epoch, UTC) + timedelta(minutes=offset_minutes)
    text = local.strftime(f"%Y-%m-%d{separator}%H:%M:%S") + fraction
    if offset_minutes == 0 and style == 0:
        return text + "Z"
    if offset_minutes == 0 and style == 1:
        return text + "z"
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    if style == 2 and minutes == 0:
        return f"{text}{sign}{hours:02d}"
    if style == 3:
        return f"{text}{sign}{hours:02d}{minutes:02d}"
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


@st.composite
def timestamp(draw: st.DrawFn, epoch: int) -> str:
    """A JSON text that means `epoch` (whole seconds, possibly with a fraction to floor)."""
    form = draw(st.sampled_from(["int", "float", "exp", "iso"]))
    fraction = draw(st.sampled_from(["", "0", "5", "25", "999999", "000000001"]))
    if form == "int":
        return str(epoch)
    if form == "float":
        return f"{epoch}.{fraction or '0'}"
    if form == "exp" and epoch % 1000 == 0 and epoch:
        return f"{epoch // 1000}e3"
    separator = draw(st.sampled_from(["T", "t", " "]))
    offset = draw(st.sampled_from(OFFSETS_MINUTES))
    style = draw(st.integers(0, 4))
    text = iso(epoch, offset, separator, f".{fraction}" if fraction else "", style)
    return draw(json_string(text))


@dataclass(frozen=True)
class Generated:
    """One line: its text and, for an untouched valid event, the normalized row expected."""

    text: str
    expected: dict[str, Any] | None


@st.composite
def valid_event(draw: st.DrawFn) -> Generated:
    event_type = draw(st.sampled_from(list(SUBTYPES)))
    event_id = draw(st.text(alphabet=ID_CHARS, min_size=1, max_size=12)) if draw(
        st.booleans()) else draw(st.sampled_from(["x" * 128, "A.b_c:D-9", "0"]))
    project = draw(st.sampled_from([1, 2, 53, 2**53 - 1]))
    user = draw(st.sampled_from([1, 17, 1000, 2**31]))
    start = draw(st.one_of(st.integers(0, 5000),
                           st.integers(1_700_000_000, 1_700_100_000),
                           st.integers(MAX_EPOCH - 90_000, MAX_EPOCH - 1)))
    length = draw(st.sampled_from([0, 1, 899, 900, 3600, 86_399, 86_400]))
    end = min(start + length, MAX_EPOCH - 1)
    members: list[tuple[str, str]] = [
        ("id", draw(json_string(event_id))),
        ("type", draw(json_string(event_type))),
        ("projectId", str(project)),
        ("userId", str(user)),
    ]
    expected: dict[str, Any] = {"event_id": event_id, "type": event_type, "subtype": None,
                                "project_id": project, "user_id": user, "t_answer": None,
                                "queue_id": 0}
    sub = SUBTYPES[event_type]
    if sub is not None:
        value = draw(st.sampled_from(sub[1]))
        members.append((sub[0], draw(json_string(value))))
        expected["subtype"] = value
    if event_type in ("disposition", "email", "ticket"):
        members.append(("time", draw(timestamp(start))))
        expected.update(t_start=start, t_end=start)
    else:
        still_going = start <= NOW and draw(st.integers(0, 4)) == 0
        members += [("start", draw(timestamp(start))),
                    ("end", "null" if still_going else draw(timestamp(end)))]
        expected.update(t_start=start, t_end=None if still_going else end)
    if event_type in ("call", "queuecall"):
        if draw(st.booleans()):
            members.append(("answer", "null"))
        else:
            answer = draw(st.integers(start, end))
            members.append(("answer", draw(timestamp(answer))))
            expected["t_answer"] = answer
    if event_type == "queuecall":
        members = unanswered_by_nobody(draw, members, expected)
    members = draw(st.permutations(members))
    space = draw(st.sampled_from(["", " "]))
    body = f",{space}".join(f'"{name}":{space}{text}' for name, text in members)
    return Generated("{" + space + body + "}", expected)


def unanswered_by_nobody(draw: st.DrawFn, members: list[tuple[str, str]],
                         expected: dict[str, Any]) -> list[tuple[str, str]]:
    """The `members` of a queue call with a queueId, and with its userId null or left
    out when it was not answered."""
    queue = draw(st.sampled_from([1, 9, 2**53 - 1]))
    expected["queue_id"] = queue
    members = [*members, ("queueId", str(queue))]
    if expected["t_answer"] is not None:
        return members
    expected["user_id"] = 0
    kept = [(name, text) for name, text in members if name != "userId"]
    return [*kept, ("userId", "null")] if draw(st.booleans()) else kept


GARBAGE = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n"),
                  max_size=30)


@st.composite
def mutated_event(draw: st.DrawFn) -> Generated:
    line = draw(valid_event()).text
    members: list[tuple[str, str]] = list(json.loads(
        line, object_pairs_hook=lambda pairs: [(k, json.dumps(v)) for k, v in pairs]))
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["drop", "junk", "junk", "text", "number", "shift",
                                       "extra", "duplicate"]))
        index = draw(st.integers(0, len(members) - 1)) if members else 0
        if action == "drop" and members:
            members.pop(index)
        elif action in ("junk", "text", "number") and members:
            if action == "junk":
                value = draw(st.sampled_from(JUNK_TEXTS))
            elif action == "text":
                value = draw(json_string(draw(GARBAGE)))
            else:
                value = draw(st.one_of(
                    st.integers(-(2**70), 2**70).map(str),
                    st.floats(allow_nan=False, allow_infinity=False).map(repr)))
            members[index] = (members[index][0], value)
        elif action == "shift" and members:
            name, text = members[index]
            if text.lstrip("-").isdigit():
                members[index] = (name, str(int(text) + draw(st.sampled_from(
                    [-86_401, -1, 1, 86_401, MAX_EPOCH]))))
        elif action == "extra":
            members.append((draw(st.sampled_from(["note", "Id", "answer", "time", "state"])),
                            draw(st.sampled_from(JUNK_TEXTS))))
        elif action == "duplicate" and members:
            members.append((members[index][0], draw(st.sampled_from(JUNK_TEXTS))))
    return Generated("{" + ",".join(f'"{n}":{t}' for n, t in members) + "}", None)


def any_line() -> st.SearchStrategy[Generated]:
    garbage = st.one_of(
        GARBAGE,
        st.sampled_from(["", " ", "\t", "\r", "[]", "{}", "null", "17", '"x"', "[{}]", "{",
                         '{"id":"a"', '{"id":"a"} {}', "\ufeff{}", "{'id': 'a'}"]),
    ).map(lambda text: Generated(text, None))
    return st.one_of(valid_event(), mutated_event(), mutated_event(), garbage)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lines=st.lists(any_line(), min_size=1, max_size=40))
def test_fast_pass_and_diagnosis_agree(validator: Validator, lines: list[Generated]) -> None:
    data = "\n".join(line.text for line in lines).encode("utf-8")
    for number, line in enumerate(lines, start=1):
        note(f"line {number}: {line.text}")
    table = block_to_table(data, 1).table
    checked = validator.validate(table, 10**6)
    unexplained = [str(e) for e in checked.errors if e.message == UNEXPLAINED]
    assert not unexplained, "the fast pass rejected a line the diagnosis finds no problem in"
    accepted = checked.events.column("line_no").to_pylist()
    rejected = set(checked.rejected_lines)
    diagnosed = {problem.line for problem in validator.diagnose(table)}
    counted = {n for n, line in enumerate(lines, start=1) if line.text.strip(BLANK)}
    assert len(accepted) == len(set(accepted))
    assert set(accepted) | rejected == counted
    assert not set(accepted) & rejected
    # Both ways: accepted lines have no problem, rejected lines have at least one.
    assert not set(accepted) & diagnosed, "accepted a line the diagnosis objects to"
    assert rejected <= diagnosed, "rejected a line without a diagnosed problem"
    assert diagnosed <= counted
    # Untouched valid events are accepted and normalized to what they mean.
    rows = {row.pop("line_no"): row for row in checked.events.to_pylist()}
    for number, line in enumerate(lines, start=1):
        if line.expected is not None:
            assert number in rows, f"valid line {number} rejected"
            assert rows[number] == line.expected


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lines=st.lists(st.one_of(valid_event(), mutated_event()), min_size=1, max_size=40))
def test_strict_and_tolerant_parses_agree(validator: Validator, lines: list[Generated]) -> None:
    """The fast pass first parses strictly (cheaper) and falls back to the tolerant
    parse only when a line is not JSON; on JSON lines both give the same rows."""
    data = "\n".join(line.text for line in lines).encode("utf-8")
    table = block_to_table(data, 1).table
    table = table.append_column("commas", _commas(table.column("raw")))
    tolerant = validator._run(validator._fast_tolerant, table)
    try:
        strict = validator._run(validator._fast, table)
    except duckdb.InvalidInputException:  # a line DuckDB does not take as JSON
        assert not all(tolerant.column("ok").to_pylist())
        return
    assert strict.equals(tolerant)
