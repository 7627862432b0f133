"""Validation and normalization of event lines, set-based in an in-memory DuckDB.

Two statements read the members, each in a single parse per line:

- the **fast pass** runs over every line and yields the normalized event (see
  `ccstats.events`) and one flag, ``ok``, that is true iff the line obeys every
  rule of events-and-kpis.md §1; it parses each line into a struct of the
  members (``from_json``), which costs a quarter less than extracting each
  member's JSON text;
- the **diagnosis** runs only over the lines the fast pass rejected and lists,
  for each, every problem, naming the line and member and saying what to write
  instead: ``line 12: start: timestamp has no UTC offset; write
  2024-03-01T10:00:00+01:00 or epoch seconds``; it reads each member's JSON text
  (``json_extract``), which tells a JSON ``null`` from a missing member.

The two are written separately, and a property test checks that they agree on
every line.

Error codes: ``error.required`` (member missing or null), ``error.wrong_format``
(wrong type, form or value), ``error.bad_arguments`` (members that contradict
each other, such as an end before the start).

Accepted forms: ids, types and sub-types are JSON strings; ``userId`` and
``projectId`` JSON integers; timestamps an ISO-8601 string with a UTC offset
(``T`` or a space between date and time, fractional seconds allowed, ``Z`` or
``±hh:mm``/``±hhmm``/``±hh``) or a JSON number of epoch seconds. Members the spec
does not name are ignored, but no member may be given twice (JSON parsers differ
in which value they keep). Blank lines never come here (`ccstats.ingest.lines`
leaves them out); a line that is blank all the same is no JSON.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ccstats import duckdb_connect
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
from ccstats.ingest.bits import flag_bits, set_before

# `Validator._run` takes a statement's rows as Arrow on purpose (see there).
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result",
                        category=UserWarning, module=__name__)

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
_ID_FORM = "1 to 128 characters of A-Z a-z 0-9 . _ : -"
#: The problem of a line that is no JSON at all.
NOT_JSON = "not valid JSON; write one event object per line"
#: The problem of a member given more than once.
REPEATED = "given more than once; write each member once"
#: At most this many characters of a repeated member's name are shown.
_NAME_SHOWN = 100

#: Kind of a member's JSON text as `json_extract` re-serializes it: strings start
#: with a quote, integers are bare digits, other numbers carry '.' or an exponent.
_MACROS = f"""
CREATE OR REPLACE MACRO json_kind(txt) AS CASE
    WHEN txt IS NULL THEN NULL
    WHEN txt[1] = '"' THEN 'string'
    WHEN txt[1] IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9') THEN
        CASE WHEN contains(txt, '.') OR contains(txt, 'e') OR contains(txt, 'E')
             THEN 'float' ELSE 'integer' END
    WHEN txt = 'null' THEN 'null'
    ELSE 'other'
END;
CREATE OR REPLACE MACRO iso_offset(o) AS CASE
    WHEN o IN ('Z', 'z') THEN 0
    ELSE (CASE WHEN o[1] = '-' THEN -1 ELSE 1 END)
         * (TRY_CAST(o[2:3] AS INTEGER) * 3600
            + coalesce(TRY_CAST(nullif(replace(o[4:], ':', ''), '') AS INTEGER), 0) * 60)
END;
CREATE OR REPLACE MACRO in_epoch_range(x) AS CASE
    WHEN x >= {MIN_EPOCH} AND x < {MAX_EPOCH} THEN x
END;
"""


def _q(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _in(values: tuple[str, ...] | frozenset[str]) -> str:
    return "(" + ", ".join(_q(v) for v in sorted(values)) + ")"


# --- the diagnosis's reading of the members -------------------------------------------

def _parse_sql() -> str:
    """CTEs ending in ``texts``: per line, the JSON text ``j_m`` of each member m
    (``'null'`` for a JSON null, NULL when missing), ``is_json`` and the ``names`` of
    its members, in order, repeats included."""
    paths = ", ".join(_q(f"$.{m}") for m in _MEMBERS)
    texts = ",\n".join(f"v[{i + 1}]::VARCHAR AS j_{m}" for i, m in enumerate(_MEMBERS))
    return f"""
    parsed AS (SELECT line_no, raw, try(json_extract(raw, [{paths}])) AS v,
                      try(json_keys(raw)) AS names FROM lines),
    texts AS (SELECT line_no, raw, v IS NOT NULL AS is_json, names, {texts} FROM parsed)
    """


def _members_sql() -> str:
    """CTEs ending in ``vals``: per line, for each member m, its JSON text ``j_m``,
    kind ``k_m``, string value ``s_m`` and, for timestamps, epoch seconds ``v_m``.
    """
    kinds = ",\n".join(f"json_kind(j_{m}) AS k_{m}" for m in _MEMBERS)
    strings = ",\n".join(
        f"""CASE WHEN k_{m} = 'string' THEN CASE WHEN contains(j_{m}, '\\')
            THEN j_{m}::JSON ->> '$' ELSE j_{m}[2:-2] END END AS s_{m}"""
        for m in _MEMBERS
    )
    isos = ",\n".join(
        f"regexp_extract(s_{m}, {_q(_ISO)}, ['d', 't', 'f', 'o']) AS iso_{m}" for m in _TIMESTAMPS
    )
    values = ",\n".join(
        f"""CASE k_{m}
            WHEN 'integer' THEN TRY_CAST(j_{m} AS BIGINT)
            WHEN 'float' THEN TRY_CAST(floor(TRY_CAST(j_{m} AS DOUBLE)) AS BIGINT)
            WHEN 'string' THEN CAST(epoch(TRY_CAST(iso_{m}.d || ' ' || iso_{m}.t AS TIMESTAMP))
                                    AS BIGINT) - iso_offset(iso_{m}.o)
        END AS v_{m}"""
        for m in _TIMESTAMPS
    )
    return f"""
    {_parse_sql()},
    kinds AS (SELECT *, {kinds} FROM texts),
    strs AS (SELECT *, {strings} FROM kinds),
    isos AS (SELECT *, {isos} FROM strs),
    vals AS (SELECT *, {values} FROM isos)
    """


def _entity(member: str) -> str:
    """The member's value if it is a valid projectId/userId, else NULL."""
    return (
        f"CASE WHEN k_{member} = 'integer' AND TRY_CAST(j_{member} AS BIGINT) "
        f"BETWEEN 1 AND {MAX_ENTITY_ID} THEN TRY_CAST(j_{member} AS BIGINT) END"
    )


# --- the fast pass ------------------------------------------------------------------------

#: Members the fast pass reads decoded, as strings: a JSON value of any other kind
#: reads as a text (``5``, ``true``, ``["in"]``) that none of their allowed values equals.
_DECODED = frozenset({"type", "state", "direction", "status", "action"})


def _fast_parse_sql(tolerant: bool) -> str:
    """CTEs ending in ``texts``: per line, ``is_json``, ``commas`` and each member m,
    the decoded string ``s_m`` of the `_DECODED` members and the JSON text ``j_m``
    of the others, NULL when missing or a JSON null alike.

    Only a `tolerant` parse takes lines that are not JSON, as NULL (those that
    ``json_valid`` refuses are not parsed: a parse error caught by ``try`` costs
    several microseconds); the other fails on them, and costs a sixth less.
    """
    structure = json.dumps({m: "VARCHAR" if m in _DECODED else "JSON" for m in _MEMBERS})
    parse = f"from_json(raw, {_q(structure)})"
    texts = ",\n".join(f"v.{m}::VARCHAR AS {'s' if m in _DECODED else 'j'}_{m}"
                        for m in _MEMBERS)
    read = f"CASE WHEN json_valid(raw) THEN {parse} END" if tolerant else parse
    return f"""
    parsed AS (SELECT line_no, raw, commas, {read} AS v FROM lines),
    texts AS (SELECT line_no, raw, commas, v IS NOT NULL AS is_json, {texts} FROM parsed)
    """


def _fast_entity(member: str) -> str:
    """`_entity` on the JSON text alone: an integer's text is its canonical digits."""
    j = f"j_{member}"
    return (
        f"CASE WHEN TRY_CAST({j} AS BIGINT)::VARCHAR = {j} "
        f"AND TRY_CAST({j} AS BIGINT) BETWEEN 1 AND {MAX_ENTITY_ID} "
        f"THEN TRY_CAST({j} AS BIGINT) END"
    )


def _fast_timestamps_sql() -> str:
    """CTEs ending in ``fvals``: epoch seconds ``fv_m`` of each timestamp member m from
    its JSON text (range not checked yet).

    A string's parts are matched first (``iso_m``, NULL for any other kind), so
    that only strings pay for the regular expression. A number is floored as a
    double, integers included: those in the range of timestamps are exact as
    doubles, and any other is out of range either way.
    """
    iso_json = _q('^"' + _ISO[1:-1] + '"$')
    isos = ",\n".join(
        f"""CASE WHEN prefix(j_{m}, '"') THEN
            regexp_extract(j_{m}, {iso_json}, ['d', 't', 'f', 'o']) END AS iso_{m}"""
        for m in _TIMESTAMPS
    )
    stamps = ",\n".join(
        f"""CASE WHEN iso_{m} IS NOT NULL
            THEN CAST(epoch(TRY_CAST(iso_{m}.d || ' ' || iso_{m}.t AS TIMESTAMP)) AS BIGINT)
                 - iso_offset(iso_{m}.o)
            ELSE TRY_CAST(floor(TRY_CAST(j_{m} AS DOUBLE)) AS BIGINT)
        END AS fv_{m}"""
        for m in _TIMESTAMPS
    )
    return f"""
    isos AS (SELECT *, {isos} FROM texts),
    fvals AS (SELECT *, {stamps} FROM isos)
    """


def _required_members(event_type: str) -> int:
    """How many members a valid event of `event_type` has at least (all different)."""
    subtype = SUBTYPES[event_type]
    times = ("time",) if event_type in POINT_TYPES else ("start", "end")
    answer = ("answer",) if event_type == "call" else ()
    return len({"id", "type", "projectId", "userId", *(subtype[:1] if subtype else ()),
                *times, *answer})


def _unique_names_sql() -> str:
    """Whether no member name of a line repeats, or the line is invalid anyway.

    An object of n members has n - 1 commas between them (``commas`` counts those
    in the line, and those in its values): a valid event has at least the members
    its type requires, so when its commas are one fewer, those are all its members
    and no name repeats. Only other lines (with members the spec does not name, a
    comma in a value) are looked at name by name.
    """
    required = "CASE s_type " + " ".join(
        f"WHEN {_q(t)} THEN {_required_members(t)}" for t in EVENT_TYPES) + " END"
    return (f"CASE WHEN NOT is_json THEN false WHEN commas + 1 = {required} THEN true "
            "ELSE len(json_keys(raw)) = len(list_distinct(json_keys(raw))) END")


def _fast_sql(tolerant: bool) -> str:
    """Normalized columns and ``ok`` of every line (`_fast_parse_sql` says
    what `tolerant` means).

    A JSON null reads as a missing member here; the one rule that tells them apart
    (a call's ``answer``: null means unanswered, missing is an error) asks
    ``json_exists`` of the calls that lack an answer time.
    """
    points = _in(POINT_TYPES)
    subtype = "CASE s_type " + " ".join(
        f"WHEN {_q(t)} THEN CASE WHEN s_{sub[0]} IN {_in(sub[1])} THEN s_{sub[0]} END"
        for t, sub in SUBTYPES.items() if sub is not None
    ) + " END"
    id_json = '^"(' + ID_PATTERN[1:-1] + ')"$'
    return f"""
    WITH {_fast_parse_sql(tolerant)},
    {_fast_timestamps_sql()},
    normalized AS (
        SELECT line_no, raw, is_json, j_answer, {_unique_names_sql()} AS unique_names,
               nullif(regexp_extract(j_id, {_q(id_json)}, 1), '') AS event_id,
               CASE WHEN s_type IN {_in(EVENT_TYPES)} THEN s_type END AS type,
               {subtype} AS subtype,
               {_fast_entity("projectId")} AS project_id,
               {_fast_entity("userId")} AS user_id,
               CASE WHEN s_type IN {points} THEN fv_time ELSE fv_start END AS t_start,
               CASE WHEN s_type = 'call' THEN fv_answer END AS t_answer,
               CASE WHEN s_type IN {points} THEN fv_time ELSE fv_end END AS t_end
        FROM fvals
    )
    SELECT line_no, event_id, type, subtype, project_id, user_id, t_start, t_answer, t_end,
           coalesce(
               unique_names AND event_id IS NOT NULL AND type IS NOT NULL
               AND project_id IS NOT NULL
               AND user_id IS NOT NULL AND (subtype IS NOT NULL OR type = 'chat')
               AND t_start BETWEEN {MIN_EPOCH} AND {MAX_EPOCH - 1}
               AND t_end BETWEEN {MIN_EPOCH} AND {MAX_EPOCH - 1}
               AND t_start <= t_end AND t_end - t_start <= {MAX_INTERVAL_SECONDS}
               AND CASE WHEN type IS DISTINCT FROM 'call' THEN true
                        WHEN j_answer IS NOT NULL THEN t_answer BETWEEN t_start AND t_end
                        ELSE json_exists(raw, '$.answer') END,
               false) AS ok
    FROM normalized
    """


# --- the diagnosis ------------------------------------------------------------------------

def _problem(member: str | None, code: str, message: str) -> str:
    member_sql = "NULL::VARCHAR" if member is None else _q(member)
    return f"{{'member': {member_sql}, 'code': {_q('error.' + code)}, 'message': {_q(message)}}}"


def _missing(member: str) -> str:
    return f"(k_{member} IS NULL OR k_{member} = 'null')"


def _timestamp_problem(m: str) -> str:
    """CASE yielding the problem of timestamp member `m` (which the event requires)."""
    return f"""CASE
        WHEN {_missing(m)} THEN {_problem(m, "required", "missing; " + _WRITE_TS)}
        WHEN k_{m} = 'string' AND iso_{m}.d = '' AND regexp_full_match(s_{m}, {_q(_ISO_NAIVE)})
            THEN {_problem(m, "wrong_format", "timestamp has no UTC offset; " + _WRITE_TS)}
        WHEN k_{m} = 'string' AND iso_{m}.d = '' THEN
            {_problem(m, "wrong_format", "not a timestamp; " + _WRITE_TS)}
        WHEN k_{m} = 'other' THEN
            {_problem(m, "wrong_format", "must be a string or a number; " + _WRITE_TS)}
        WHEN k_{m} = 'string' AND TRY_CAST(iso_{m}.d || ' ' || iso_{m}.t AS TIMESTAMP) IS NULL
            THEN {_problem(m, "wrong_format", "not a real date and time; " + _WRITE_TS)}
        WHEN in_epoch_range(v_{m}) IS NULL THEN
            {_problem(m, "wrong_format",
                      "out of range; timestamps must lie in 1970-01-01T00:00:00Z"
                      " to 2099-12-31T23:59:59Z")}
    END"""


def _enum_problem(member: str, allowed: tuple[str, ...]) -> str:
    form = "one of " + ", ".join(allowed)
    return f"""CASE
        WHEN {_missing(member)} THEN {_problem(member, "required", "missing; write " + form)}
        WHEN s_{member} IS NULL OR s_{member} NOT IN {_in(allowed)} THEN
            {_problem(member, "wrong_format", "must be " + form)}
    END"""


def _entity_problem(member: str) -> str:
    form = f"an integer from 1 to {MAX_ENTITY_ID}"
    return f"""CASE
        WHEN {_missing(member)} THEN {_problem(member, "required", "missing; write " + form)}
        WHEN ({_entity(member)}) IS NULL THEN
            {_problem(member, "wrong_format", "must be " + form)}
    END"""


def _checks() -> list[str]:
    """Every rule, as a CASE yielding its problem or NULL, in reporting order."""
    checks = [
        f"""CASE
            WHEN {_missing("id")} THEN {_problem("id", "required", "missing; write " + _ID_FORM)}
            WHEN s_id IS NULL OR NOT regexp_full_match(s_id, {_q(ID_PATTERN)}) THEN
                {_problem("id", "wrong_format", "must be a string of " + _ID_FORM)}
        END""",
        _enum_problem("type", EVENT_TYPES),
        _entity_problem("userId"),
        _entity_problem("projectId"),
    ]
    for event_type, subtype in SUBTYPES.items():
        if subtype is not None:
            member, allowed = subtype
            checks.append(
                f"CASE WHEN s_type = {_q(event_type)} THEN {_enum_problem(member, allowed)} END"
            )
    intervals = _in(INTERVAL_TYPES)
    for m in ("start", "end"):
        checks.append(f"CASE WHEN s_type IN {intervals} THEN {_timestamp_problem(m)} END")
    checks.append(f"CASE WHEN s_type IN {_in(POINT_TYPES)} THEN {_timestamp_problem('time')} END")
    checks.append(
        f"""CASE WHEN s_type = 'call' AND k_answer IS NULL THEN
            {_problem("answer", "required",
                      "missing; write null for an unanswered call, or the answer time: "
                      + _WRITE_TS.removeprefix("write "))}
        WHEN s_type = 'call' AND k_answer <> 'null' THEN {_timestamp_problem("answer")} END"""
    )
    both = "in_epoch_range(v_start) IS NOT NULL AND in_epoch_range(v_end) IS NOT NULL"
    checks.append(
        f"""CASE WHEN s_type IN {intervals} AND {both} THEN CASE
            WHEN v_start > v_end THEN
                {_problem("end", "bad_arguments", "is before start; end must not precede start")}
            WHEN v_end - v_start > {MAX_INTERVAL_SECONDS} THEN
                {_problem("end", "bad_arguments",
                          f"the interval is longer than {MAX_INTERVAL_SECONDS} seconds; "
                          "split longer periods into several events")}
        END END"""
    )
    checks.append(
        f"""CASE WHEN s_type = 'call' AND {both} AND v_start <= v_end AND k_answer <> 'null'
                  AND in_epoch_range(v_answer) IS NOT NULL
                  AND (v_answer < v_start OR v_answer > v_end) THEN
            {_problem("answer", "bad_arguments",
                      "must lie between start and end, or be null for an unanswered call")}
        END"""
    )
    return checks


def _diagnosis_sql() -> str:
    checks = _checks()
    columns = ",\n".join(f"{check} AS p{i}" for i, check in enumerate(checks))
    listed = ", ".join(f"p{i}" for i in range(len(checks)))
    not_json = _problem(None, "wrong_format", NOT_JSON)
    not_object = _problem(None, "wrong_format", "an event must be a JSON object")
    repeated = f"""list_transform(
        list_filter(names, lambda name, i: list_position(names, name) = i
                                           AND len(list_filter(names, lambda n: n = name)) > 1),
        lambda name: {{'member': left(name, {_NAME_SHOWN}), 'code': 'error.wrong_format',
                       'message': {_q(REPEATED)}}})"""
    return f"""
    WITH {_members_sql()},
    probed AS (SELECT *, {columns} FROM vals)
    SELECT line_no,
           CASE
               WHEN NOT is_json THEN [{not_json}]
               WHEN ltrim(raw, E' \\t\\r\\n')[1] <> '{{' THEN [{not_object}]
               ELSE list_concat({repeated}, list_filter([{listed}], lambda p: p IS NOT NULL))
           END AS problems
    FROM probed
    ORDER BY line_no
    """


@dataclass(frozen=True, slots=True)
class ValidatedBlock:
    """The outcome of validating one block of lines."""

    events: pa.Table
    """Normalized events of the valid lines, each with its ``line_no``, in no particular order."""
    errors: list[EventError]
    """Every problem of the first `line_limit` invalid lines, in line order."""
    rejected_lines: list[int]
    """Numbers of all invalid lines, in line order."""


def _commas(raw: pa.ChunkedArray) -> pa.ChunkedArray:
    """How many commas each string of `raw` holds, counted with numpy over its bytes."""
    counts = []
    for chunk in raw.chunks:
        _, offsets_buffer, data_buffer = chunk.buffers()
        offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(offsets_buffer, dtype=offset_type)[
            chunk.offset:chunk.offset + len(chunk) + 1].astype(np.int64)
        if not len(chunk) or data_buffer is None:
            counts.append(pa.array(np.zeros(len(chunk), dtype=np.int64)))
            continue
        low, high = int(offsets[0]), int(offsets[-1])
        commas = flag_bits(np.frombuffer(data_buffer, dtype=np.uint8)[low:high], ord(","))
        before = set_before(commas, offsets - low)
        counts.append(pa.Array.from_buffers(pa.int64(), len(chunk), [
            None, pa.py_buffer(np.ascontiguousarray(before[1:] - before[:-1]))]))
    return pa.chunked_array(counts, type=pa.int64())


class InconsistentValidation(RuntimeError):
    """The fast pass rejected a line in which the diagnosis found no problem (a bug)."""


class Validator:
    """Validates blocks of event lines (see `ccstats.ingest.lines`). Not thread-safe."""

    def __init__(self) -> None:
        self._db = duckdb_connect.connect()
        self._db.execute(_MACROS)
        self._fast = _fast_sql(tolerant=False)
        self._fast_tolerant = _fast_sql(tolerant=True)
        self._diagnosis = _diagnosis_sql()

    def close(self) -> None:
        self._db.close()

    def validate(self, lines: pa.Table, line_limit: int = 100) -> ValidatedBlock:
        """Check every line of `lines` (see `ccstats.ingest.lines.LINES_SCHEMA`)."""
        counted = lines.append_column("commas", _commas(lines.column("raw")))
        try:
            checked = self._run(self._fast, counted)
        # (a line is not JSON; DuckDB's message quotes it, at times cut inside a
        # character, which the message's decoding then fails on)
        except (duckdb.InvalidInputException, UnicodeDecodeError):
            checked = self._run(self._fast_tolerant, counted)
        ok = checked.column("ok")
        if pc.all(ok).as_py() is not False:
            events = checked.drop_columns(["ok"])
            return ValidatedBlock(events, [], [])
        events = checked.filter(ok).drop_columns(["ok"])
        # (the statement's rows come in no particular order: a block's row groups
        # may be scanned by several threads)
        rejected = checked.filter(pc.invert(ok)).sort_by("line_no").column("line_no")
        shown = rejected.slice(0, line_limit)
        bad_lines = lines.filter(pc.is_in(lines.column("line_no"), shown))
        diagnosed = self._run(self._diagnosis, bad_lines)
        errors: list[EventError] = []
        numbers = diagnosed.column("line_no").to_pylist()
        for line, problems in zip(numbers, diagnosed.column("problems").to_pylist(),
                                  strict=True):
            if not problems:
                raise InconsistentValidation(f"line {line}: rejected without a reason")
            errors.extend(EventError(line, p["member"], p["code"], p["message"])
                          for p in problems)
        return ValidatedBlock(events, errors, rejected.to_pylist())

    def diagnose(self, lines: pa.Table) -> list[EventError]:
        """Every problem of every line of `lines` (the slow, thorough pass)."""
        diagnosed = self._run(self._diagnosis, lines)
        return [
            EventError(line, p["member"], p["code"], p["message"])
            for line, problems in zip(diagnosed.column("line_no").to_pylist(),
                                      diagnosed.column("problems").to_pylist(), strict=True)
            for p in problems
        ]

    def _run(self, sql: str, lines: pa.Table) -> pa.Table:
        self._db.register("lines", lines)
        try:
            # One statement, planned once (a relation would be bound, then planned
            # again: a fifth of the time of a 10,000-line block); the copy of the
            # rows that DuckDB warns of costs less.
            return self._db.execute(sql).to_arrow_table()
        finally:
            self._db.unregister("lines")
