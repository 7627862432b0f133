"""Validation and normalization of event lines, set-based in an in-memory DuckDB.

One SQL statement parses every line of a block once (``json_extract`` of all
members), checks every rule of events-and-kpis.md §1 and yields, per line,
either the normalized event (see `ccstats.events`) or the list of its problems.
Each problem names the line and member, and says what to write instead:
``line 12: start: timestamp has no UTC offset; write 2024-03-01T10:00:00+01:00
or epoch seconds``.

Error codes: ``error.required`` (member missing or null), ``error.wrong_format``
(wrong type, form or value), ``error.bad_arguments`` (members that contradict
each other, such as an end before the start).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ccstats.events import (
    EVENT_TYPES,
    ID_PATTERN,
    INTERVAL_TYPES,
    MAX_ENTITY_ID,
    MAX_EPOCH,
    MAX_INTERVAL_SECONDS,
    MIN_EPOCH,
    POINT_TYPES,
    SUBTYPES,
    EventError,
)

_MEMBERS = (
    "id", "type", "userId", "projectId", "state", "direction", "status", "action",
    "start", "end", "answer", "time",
)
_TIMESTAMPS = ("start", "end", "answer", "time")

_ISO = (
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?"
    r"([Zz]|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)$"
)
_ISO_NAIVE = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"
_WRITE_TS = "write 2024-03-01T10:00:00+01:00 or epoch seconds"
_INTEGER_TYPES = "('BIGINT', 'UBIGINT')"
_NUMBER_TYPES = "('BIGINT', 'UBIGINT', 'DOUBLE')"


def _q(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _problem(member: str | None, code: str, message: str) -> str:
    member_sql = "NULL::VARCHAR" if member is None else _q(member)
    return f"{{'member': {member_sql}, 'code': {_q('error.' + code)}, 'message': {_q(message)}}}"


def _one_of(values: tuple[str, ...]) -> str:
    return ", ".join(values)


def _in(values: tuple[str, ...] | frozenset[str]) -> str:
    return "(" + ", ".join(_q(v) for v in sorted(values)) + ")"


def _timestamp_value(m: str) -> str:
    return f"""CASE t_{m}
        WHEN 'BIGINT' THEN TRY_CAST(j_{m} AS BIGINT)
        WHEN 'UBIGINT' THEN TRY_CAST(j_{m} AS BIGINT)
        WHEN 'DOUBLE' THEN TRY_CAST(floor(TRY_CAST(j_{m} AS DOUBLE)) AS BIGINT)
        WHEN 'VARCHAR' THEN CAST(epoch(TRY_CAST(iso_{m}.d || ' ' || iso_{m}.t AS TIMESTAMP))
                                 AS BIGINT) - iso_offset(iso_{m}.o)
    END"""


def _timestamp_problem(m: str) -> str:
    """CASE yielding the problem of timestamp member `m` (which the event requires)."""
    return f"""CASE
        WHEN t_{m} IS NULL OR t_{m} = 'NULL' THEN
            {_problem(m, "required", "missing; " + _WRITE_TS)}
        WHEN t_{m} = 'VARCHAR' AND iso_{m}.d = '' AND regexp_full_match(s_{m}, {_q(_ISO_NAIVE)})
            THEN {_problem(m, "wrong_format", "timestamp has no UTC offset; " + _WRITE_TS)}
        WHEN t_{m} = 'VARCHAR' AND iso_{m}.d = '' THEN
            {_problem(m, "wrong_format", "not a timestamp; " + _WRITE_TS)}
        WHEN t_{m} NOT IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE') THEN
            {_problem(m, "wrong_format", "must be a string or a number; " + _WRITE_TS)}
        WHEN t_{m} = 'VARCHAR' AND TRY_CAST(iso_{m}.d || ' ' || iso_{m}.t AS TIMESTAMP) IS NULL
            THEN {_problem(m, "wrong_format", "not a real date and time; " + _WRITE_TS)}
        WHEN v_{m} IS NULL OR v_{m} < {MIN_EPOCH} OR v_{m} >= {MAX_EPOCH} THEN
            {_problem(m, "wrong_format",
                      "out of range; timestamps must lie in 1970-01-01T00:00:00Z"
                      " to 2099-12-31T23:59:59Z")}
    END"""


def _enum_problem(member: str, allowed: tuple[str, ...]) -> str:
    form = f"one of {_one_of(allowed)}"
    return f"""CASE
        WHEN t_{member} IS NULL OR t_{member} = 'NULL' THEN
            {_problem(member, "required", "missing; write " + form)}
        WHEN s_{member} IS NULL OR s_{member} NOT IN {_in(allowed)} THEN
            {_problem(member, "wrong_format", "must be " + form)}
    END"""


def _entity_problem(member: str) -> str:
    form = f"an integer from 1 to {MAX_ENTITY_ID}"
    return f"""CASE
        WHEN t_{member} IS NULL OR t_{member} = 'NULL' THEN
            {_problem(member, "required", "missing; write " + form)}
        WHEN t_{member} NOT IN {_INTEGER_TYPES} OR TRY_CAST(j_{member} AS BIGINT) IS NULL
             OR TRY_CAST(j_{member} AS BIGINT) NOT BETWEEN 1 AND {MAX_ENTITY_ID} THEN
            {_problem(member, "wrong_format", "must be " + form)}
    END"""


def _type_checks() -> list[str]:
    """Problems that depend on the event's type (only once the type is known)."""
    checks: list[str] = []
    for event_type, subtype in SUBTYPES.items():
        if subtype is not None:
            member, allowed = subtype
            checks.append(
                f"CASE WHEN s_type = {_q(event_type)} THEN {_enum_problem(member, allowed)} END"
            )
    interval = _in(INTERVAL_TYPES)
    for m in ("start", "end"):
        checks.append(f"CASE WHEN s_type IN {interval} THEN {_timestamp_problem(m)} END")
    checks.append(f"CASE WHEN s_type IN {_in(POINT_TYPES)} THEN {_timestamp_problem('time')} END")
    checks.append(
        f"""CASE WHEN s_type = 'call' AND NOT has_answer THEN
            {_problem("answer", "required",
                      "missing; write null for an unanswered call, or the answer time: "
                      + _WRITE_TS.removeprefix("write "))}
        WHEN s_type = 'call' AND t_answer <> 'NULL' THEN
            {_timestamp_problem("answer")} END"""
    )
    ok = f"v_start BETWEEN {MIN_EPOCH} AND {MAX_EPOCH - 1} AND v_end BETWEEN {MIN_EPOCH} " \
         f"AND {MAX_EPOCH - 1}"
    checks.append(
        f"""CASE WHEN s_type IN {interval} AND {ok} THEN CASE
            WHEN v_start > v_end THEN
                {_problem("end", "bad_arguments", "is before start; end must not precede start")}
            WHEN v_end - v_start > {MAX_INTERVAL_SECONDS} THEN
                {_problem("end", "bad_arguments",
                          f"the interval is longer than {MAX_INTERVAL_SECONDS} seconds; "
                          "split longer periods into several events")}
        END END"""
    )
    checks.append(
        f"""CASE WHEN s_type = 'call' AND {ok} AND v_start <= v_end AND t_answer <> 'NULL'
                  AND v_answer BETWEEN {MIN_EPOCH} AND {MAX_EPOCH - 1}
                  AND (v_answer < v_start OR v_answer > v_end) THEN
            {_problem("answer", "bad_arguments",
                      "must lie between start and end, or be null for an unanswered call")}
        END"""
    )
    return checks


def _validation_sql() -> str:
    paths = ", ".join(_q(f"$.{m}") for m in _MEMBERS)
    extracted = ",\n".join(
        f"v[{i + 1}]::VARCHAR AS j_{m}, json_kind(v[{i + 1}]::VARCHAR) AS t_{m}"
        for i, m in enumerate(_MEMBERS)
    )
    strings = ",\n".join(
        f"""CASE WHEN t_{m} = 'VARCHAR' THEN CASE WHEN contains(j_{m}, '\\')
            THEN j_{m}::JSON ->> '$' ELSE j_{m}[2:-2] END END AS s_{m}"""
        for m in _MEMBERS
    )
    iso = ",\n".join(
        f"regexp_extract(s_{m}, {_q(_ISO)}, ['d', 't', 'f', 'o']) AS iso_{m}" for m in _TIMESTAMPS
    )
    values = ",\n".join(f"{_timestamp_value(m)} AS v_{m}" for m in _TIMESTAMPS)
    id_form = "1 to 128 characters of A-Z a-z 0-9 . _ : -"
    common = [
        f"""CASE
            WHEN t_id IS NULL OR t_id = 'NULL' THEN {_problem("id", "required",
                                                              "missing; write " + id_form)}
            WHEN s_id IS NULL OR NOT regexp_full_match(s_id, {_q(ID_PATTERN)}) THEN
                {_problem("id", "wrong_format", "must be a string of " + id_form)}
        END""",
        _enum_problem("type", EVENT_TYPES),
        _entity_problem("userId"),
        _entity_problem("projectId"),
        *_type_checks(),
    ]
    problem_columns = ",\n".join(f"{check} AS p{i}" for i, check in enumerate(common))
    all_clear = " AND ".join(f"p{i} IS NULL" for i in range(len(common)))
    problem_list = ", ".join(f"p{i}" for i in range(len(common)))
    subtype = "CASE s_type " + " ".join(
        f"WHEN {_q(t)} THEN s_{sub[0]}" for t, sub in SUBTYPES.items() if sub is not None
    ) + " END"
    return f"""
    WITH src AS (
        SELECT line_no, raw FROM lines WHERE NOT regexp_full_match(raw, '[ \\t\\r\\n]*')
    ), parsed AS (
        SELECT line_no,
               try(json_extract(raw, [{paths}])) AS v,
               ltrim(raw, E' \\t\\r\\n')[1] = '{{' AS is_object,
               CASE WHEN ltrim(raw, E' \\t\\r\\n')[1] = '{{' AND raw LIKE '%"answer"%'
                    THEN try(json_exists(raw, '$.answer')) ELSE false END AS has_answer
        FROM src
    ), members AS (
        SELECT line_no, v IS NOT NULL AS is_json, is_object, has_answer, {extracted}
        FROM parsed
    ), texts AS (SELECT *, {strings} FROM members),
    isos AS (SELECT *, {iso} FROM texts),
    vals AS (SELECT *, {values} FROM isos),
    probed AS (SELECT *, {problem_columns} FROM vals),
    checked AS (
        SELECT line_no, s_id, s_type, {subtype} AS subtype,
               TRY_CAST(j_projectId AS BIGINT) AS project_id,
               TRY_CAST(j_userId AS BIGINT) AS user_id,
               v_start, v_answer, v_end, v_time,
               CASE
                   WHEN NOT is_json THEN [{_problem(None, "wrong_format",
                                                    "not valid JSON; write one event object"
                                                    " per line")}]
                   WHEN NOT is_object THEN [{_problem(None, "wrong_format",
                                                      "an event must be a JSON object")}]
                   WHEN {all_clear} THEN []
                   ELSE list_filter([{problem_list}], lambda p: p IS NOT NULL)
               END AS problems
        FROM probed
    )
    SELECT line_no, s_id AS event_id, s_type AS type, subtype, project_id, user_id,
           CASE WHEN s_type IN {_in(POINT_TYPES)} THEN v_time ELSE v_start END AS t_start,
           CASE WHEN s_type = 'call' THEN v_answer END AS t_answer,
           CASE WHEN s_type IN {_in(POINT_TYPES)} THEN v_time ELSE v_end END AS t_end,
           problems
    FROM checked
    """


_MACROS = """
CREATE OR REPLACE MACRO json_kind(txt) AS CASE txt[1]
    WHEN '"' THEN 'VARCHAR' WHEN 'n' THEN 'NULL' WHEN '{' THEN 'OBJECT' WHEN '[' THEN 'ARRAY'
    WHEN 't' THEN 'BOOLEAN' WHEN 'f' THEN 'BOOLEAN'
    ELSE CASE WHEN TRY_CAST(txt AS BIGINT) IS NULL THEN 'DOUBLE' ELSE 'BIGINT' END
END;
CREATE OR REPLACE MACRO iso_offset(o) AS CASE
    WHEN o IN ('Z', 'z') THEN 0
    ELSE (CASE WHEN o[1] = '-' THEN -1 ELSE 1 END)
         * (TRY_CAST(o[2:3] AS INTEGER) * 3600
            + COALESCE(TRY_CAST(nullif(replace(o[4:], ':', ''), '') AS INTEGER), 0) * 60)
END;
"""


@dataclass(frozen=True, slots=True)
class ValidatedBlock:
    """The outcome of validating one block of lines."""

    events: pa.Table
    """Normalized events of the valid lines, in line order, with a ``line_no`` column."""
    errors: list[EventError]
    """Problems of the invalid lines, at most `error_limit` of them, in line order."""
    rejected_lines: list[int]
    """Numbers of all invalid lines."""


class Validator:
    """Validates blocks of event lines (see `ccstats.ingest.lines`)."""

    def __init__(self) -> None:
        self._db = duckdb.connect(":memory:")
        self._db.execute(_MACROS)
        self._sql = _validation_sql()

    def close(self) -> None:
        self._db.close()

    def validate(self, lines: pa.Table, error_limit: int = 100) -> ValidatedBlock:
        """Check every line of `lines` (see `ccstats.ingest.lines.LINES_SCHEMA`)."""
        db = self._db
        db.register("lines", lines)
        try:
            checked = db.sql(self._sql).to_arrow_table()
        finally:
            db.unregister("lines")
        problem_counts = pc.list_value_length(checked.column("problems"))
        valid = pc.equal(problem_counts, 0)
        events = checked.filter(valid).drop_columns(["problems"])
        bad = checked.filter(pc.invert(valid)).select(["line_no", "problems"])
        rejected = bad.column("line_no").to_pylist()
        errors = [
            EventError(line, problem["member"], problem["code"], problem["message"])
            for line, problems in zip(rejected, bad.column("problems").to_pylist(), strict=True)
            for problem in problems
        ]
        return ValidatedBlock(events, errors[:error_limit], rejected)
