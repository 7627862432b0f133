"""The reading of event lines that both validation passes share (`ccstats.ingest.passes`).

`reading_sql` parses each line once into a struct of the members (``from_json``)
and derives, per line, the columns that the rules of `ccstats.ingest.rules` are
written over:

- ``raw``, ``line_no`` (and whatever else the lines table holds), ``is_json``;
- ``s_m``: the decoded string of each member m of `DECODED` (``type`` and the
  sub-type members); a JSON value of another kind reads as its text (``5``,
  ``true``, ``["in"]``), which none of their allowed values equals;
- ``j_m``: the JSON text of each other member (strings with their quotes);
- ``iso_m``: for each timestamp member, the parts (``d``, ``t``, ``f``, ``o``) of
  an ISO-8601 string with an offset, empty strings when its string is not one,
  NULL when it is no string (the macro ``iso_local`` makes its date and time a
  TIMESTAMP, NULL if that is no real date and time);
- the member's value where it is valid, else NULL: ``event_id``, ``type``,
  ``subtype`` (the sub-type member of the line's type), ``project_id``,
  ``user_id``, ``queue_id``, and ``v_m`` for each timestamp member m (epoch seconds, floored,
  in the accepted range; ``e_m`` before the range is checked).

A member that is missing and one that is JSON ``null`` read alike (NULL); a rule
that must tell them apart asks ``json_exists`` of the few lines concerned.
"""

from __future__ import annotations

import json

from ccstats.events import (
    ANSWERED_TYPES,
    EVENT_TYPES,
    ID_PATTERN,
    MAX_ENTITY_ID,
    MAX_EPOCH,
    MIN_EPOCH,
    NO_ID,
    POINT_TYPES,
    QUEUE_CALL,
    SUBTYPES,
)

#: The members read from each line.
MEMBERS = (
    "id", "type", "userId", "projectId", "queueId", "state", "direction", "status", "action",
    "start", "end", "answer", "time",
)
#: The members read as decoded strings (``s_m``); the others as JSON text (``j_m``).
DECODED = frozenset({"type", "state", "direction", "status", "action"})
TIMESTAMPS = ("start", "end", "answer", "time")

#: An ISO-8601 timestamp with an offset: groups date, time, fraction, offset.
ISO = (
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?"
    r"([Zz]|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)$"
)
#: An ISO-8601 date and time without an offset.
ISO_NAIVE = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"

#: Macros the reading (and the rules) use; run once per connection.
MACROS = """
CREATE OR REPLACE MACRO iso_offset(o) AS CASE
    WHEN o IN ('Z', 'z') THEN 0
    ELSE (CASE WHEN o[1] = '-' THEN -1 ELSE 1 END)
         * (TRY_CAST(o[2:3] AS INTEGER) * 3600
            + coalesce(TRY_CAST(nullif(replace(o[4:], ':', ''), '') AS INTEGER), 0) * 60)
END;
CREATE OR REPLACE MACRO iso_local(iso) AS TRY_CAST(iso.d || ' ' || iso.t AS TIMESTAMP);
CREATE OR REPLACE MACRO repeated_names(names) AS list_filter(
    names, lambda name, i: list_position(names, name) = i
                           AND len(list_filter(names, lambda n: n = name)) > 1);
"""


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def literals(values: tuple[str, ...] | frozenset[str]) -> str:
    """A parenthesized list of SQL string literals, for ``IN``."""
    return "(" + ", ".join(literal(v) for v in sorted(values)) + ")"


def text_column(member: str) -> str:
    """The column of `member`'s text: ``s_m`` or ``j_m`` (NULL if missing or null)."""
    return f"{'s' if member in DECODED else 'j'}_{member}"


def quoted(pattern: str) -> str:
    """`pattern` (anchored with ``^…$``) as a pattern of the JSON text of a string.

    The JSON text of a string whose value matches holds the same characters
    between its quotes: none of them is one JSON writes escaped.
    """
    return '^"' + pattern[1:-1] + '"$'


def _parse_sql(tolerant: bool) -> str:
    """CTEs ending in ``texts``: ``is_json`` and the ``s_m`` and ``j_m`` columns.

    Only a `tolerant` parse takes lines that are not JSON, as NULL (those that
    ``json_valid`` refuses are not parsed: a parse error caught by ``try`` costs
    several microseconds); the other fails on them, and costs a sixth less.
    """
    structure = json.dumps({m: "VARCHAR" if m in DECODED else "JSON" for m in MEMBERS})
    parse = f"from_json(raw, {literal(structure)})"
    texts = ",\n".join(f"v.{m}::VARCHAR AS {text_column(m)}" for m in MEMBERS)
    if tolerant:
        return f"""
        checked AS (SELECT *, json_valid(raw) AS is_json FROM lines),
        parsed AS (SELECT *, CASE WHEN is_json THEN {parse} END AS v FROM checked),
        texts AS (SELECT * EXCLUDE (v), {texts} FROM parsed)
        """
    return f"""
    parsed AS (SELECT *, true AS is_json, {parse} AS v FROM lines),
    texts AS (SELECT * EXCLUDE (v), {texts} FROM parsed)
    """


def _timestamps_sql() -> str:
    """CTEs ending in ``stamps``: ``iso_m`` and ``v_m`` of each timestamp.

    A string's parts are matched first (``iso_m``, NULL for any other kind), so
    that only strings pay for the regular expression. A number is floored as a
    double, integers included: those in the range of timestamps are exact as
    doubles, and any other is out of range either way.
    """
    isos = ",\n".join(
        f"""CASE WHEN prefix(j_{m}, '"') THEN regexp_extract(
            j_{m}, {literal(quoted(ISO))}, ['d', 't', 'f', 'o']) END AS iso_{m}"""
        for m in TIMESTAMPS
    )
    epochs = ",\n".join(
        f"""CASE WHEN iso_{m} IS NOT NULL
            THEN CAST(epoch(iso_local(iso_{m})) AS BIGINT) - iso_offset(iso_{m}.o)
            ELSE TRY_CAST(floor(TRY_CAST(j_{m} AS DOUBLE)) AS BIGINT)
        END AS e_{m}"""
        for m in TIMESTAMPS
    )
    values = ",\n".join(
        f"CASE WHEN e_{m} BETWEEN {MIN_EPOCH} AND {MAX_EPOCH - 1} THEN e_{m} END AS v_{m}"
        for m in TIMESTAMPS
    )
    return f"""
    isos AS (SELECT *, {isos} FROM texts),
    epochs AS (SELECT *, {epochs} FROM isos),
    stamps AS (SELECT *, {values} FROM epochs)
    """


def _entity(member: str) -> str:
    """The member's value if it is a valid projectId/userId, else NULL: the JSON
    text of an integer is its canonical digits."""
    j = f"j_{member}"
    return (
        f"CASE WHEN TRY_CAST({j} AS BIGINT)::VARCHAR = {j} "
        f"AND TRY_CAST({j} AS BIGINT) BETWEEN 1 AND {MAX_ENTITY_ID} "
        f"THEN TRY_CAST({j} AS BIGINT) END"
    )


def _values_sql() -> str:
    """The valid values of the members that are no timestamps."""
    subtype = "CASE s_type " + " ".join(
        f"WHEN {literal(t)} THEN CASE WHEN s_{sub[0]} IN {literals(sub[1])} THEN s_{sub[0]} END"
        for t, sub in SUBTYPES.items() if sub is not None
    ) + " END"
    id_json = '^"(' + ID_PATTERN[1:-1] + ')"$'
    return f"""
    nullif(regexp_extract(j_id, {literal(id_json)}, 1), '') AS event_id,
    CASE WHEN s_type IN {literals(EVENT_TYPES)} THEN s_type END AS type,
    {subtype} AS subtype,
    {_entity("projectId")} AS project_id,
    {_entity("userId")} AS user_id,
    {_entity("queueId")} AS queue_id
    """


def reading_sql(tolerant: bool) -> str:
    """CTEs (for a ``WITH``) ending in ``reading``: the columns of this module's
    docstring for each line of a table ``lines`` (``line_no``, ``raw``, and any
    others, kept). `_parse_sql` says what `tolerant` means."""
    return f"""
    {_parse_sql(tolerant)},
    {_timestamps_sql()},
    reading AS (SELECT *, {_values_sql()} FROM stamps)
    """


def normalized_sql() -> str:
    """The normalized event (`ccstats.events`) of a line of ``reading``, as columns;
    meaningful where the line is valid."""
    points, queue_call = literals(POINT_TYPES), literal(QUEUE_CALL)
    return f"""
    event_id, type, subtype, project_id, coalesce(user_id, {NO_ID}) AS user_id,
    CASE WHEN type IN {points} THEN v_time ELSE v_start END AS t_start,
    CASE WHEN type IN {literals(ANSWERED_TYPES)} THEN v_answer END AS t_answer,
    CASE WHEN type IN {points} THEN v_time ELSE v_end END AS t_end,
    CASE WHEN type = {queue_call} THEN queue_id ELSE {NO_ID} END AS queue_id
    """
