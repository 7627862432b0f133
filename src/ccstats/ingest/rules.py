"""The event rules of events-and-kpis.md §1, each written once, as data.

A `Rule` says when a line breaks it, as a SQL condition over the columns of
`ccstats.ingest.reading`, and what problem to report then. Both validation passes
are generated from `RULES` (`ccstats.ingest.passes`): the fast pass accepts a line
iff it breaks no rule, and the diagnosis reports the problem of every rule it
breaks, so the two cannot disagree. A condition that is NULL counts as kept.

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

Adding an event type's rules is adding rows: its members to the reading, then a
`Rule` for each thing a line of that type may get wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccstats.events import (
    ANSWERED_TYPES,
    EVENT_TYPES,
    INTERVAL_TYPES,
    MAX_ENTITY_ID,
    MAX_INTERVAL_SECONDS,
    MAX_OPEN_LEAD,
    POINT_TYPES,
    QUEUE_CALL,
    SUBTYPES,
)
from ccstats.ingest.reading import ISO_NAIVE, literal, quoted, text_column

REQUIRED = "error.required"
WRONG_FORMAT = "error.wrong_format"
BAD_ARGUMENTS = "error.bad_arguments"

#: The problem of a line that is no JSON at all.
NOT_JSON = "not valid JSON; write one event object per line"
#: The problem of a member given more than once.
REPEATED = "given more than once; write each member once"
#: The problem of a line the fast pass rejects and the diagnosis finds nothing
#: wrong with (which the rules being generated for both from one table rules out).
UNEXPLAINED = "does not satisfy the event rules of events-and-kpis.md §1"
#: At most this many characters of a repeated member's name are shown.
NAME_SHOWN = 100

_WRITE_TS = "write 2024-03-01T10:00:00+01:00 or epoch seconds"
_ID_FORM = "1 to 128 characters of A-Z a-z 0-9 . _ : -"
_ENTITY_FORM = f"an integer from 1 to {MAX_ENTITY_ID}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of one line: ``line 12: start: <message>`` (no member: the line)."""

    member: str | None
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Reason:
    """A more specific problem of a broken rule: the first reason of the rule whose
    `when` holds is reported instead of the rule's own problem (so `when` may take
    the reasons before it as not holding)."""

    when: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of events-and-kpis.md §1."""

    member: str | None
    """The member a problem names; None for the line as a whole."""
    breaks: str
    """SQL over the reading's columns: true where a line breaks the rule."""
    code: str
    message: str
    types: frozenset[str] | None = None
    """The event types (the line's ``type`` member) it applies to; None: every line."""
    reasons: tuple[Reason, ...] = ()
    """More specific problems, looked at only on lines that break the rule."""
    given: bool = False
    """Whether every line that keeps the rule has the member (perhaps null)."""
    alone: bool = False
    """Where broken, this is the line's only problem (the first such rule's): the
    line cannot be read as an event at all."""
    each: str | None = None
    """SQL list of member names: the problem is reported once for each, naming it,
    instead of once naming `member`. It is never empty where the rule is broken."""
    unless: str | None = None
    """SQL the fast pass tests first, as a shortcut: where it holds, a line that
    breaks this rule breaks another one too, so the fast pass skips this one.
    The diagnosis always tests `breaks`."""


def _missing(member: str, write: str) -> Reason:
    """`member` is missing or null."""
    return Reason(f"{text_column(member)} IS NULL", REQUIRED, f"missing; {write}")


def _one_of(member: str, allowed: tuple[str, ...], valid: str,
            types: frozenset[str] | None = None) -> Rule:
    """`member` is a string of `allowed` (`valid`: its value where it is)."""
    form = "one of " + ", ".join(allowed)
    return Rule(member, f"{valid} IS NULL", WRONG_FORMAT, "must be " + form, types,
                (_missing(member, "write " + form),), given=True)


def _entity(member: str, valid: str, types: frozenset[str] | None = None) -> Rule:
    """`member` is a projectId, userId or queueId (`valid`: its value where it is),
    which lines of `types` must give."""
    return Rule(member, f"{valid} IS NULL", WRONG_FORMAT, "must be " + _ENTITY_FORM, types,
                (_missing(member, "write " + _ENTITY_FORM),), given=True)


def _timestamp_reasons(m: str) -> tuple[Reason, ...]:
    """Why the JSON text ``j_m`` of a timestamp that is given is not one."""
    return (
        Reason(f"iso_{m}.d = '' AND regexp_full_match(j_{m}, {literal(quoted(ISO_NAIVE))})",
               WRONG_FORMAT, "timestamp has no UTC offset; " + _WRITE_TS),
        Reason(f"iso_{m}.d = ''", WRONG_FORMAT, "not a timestamp; " + _WRITE_TS),
        Reason(f"j_{m}[1] NOT IN ('\"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')",
               WRONG_FORMAT, "must be a string or a number; " + _WRITE_TS),
        Reason(f"iso_local(iso_{m}) IS NULL AND iso_{m} IS NOT NULL",
               WRONG_FORMAT, "not a real date and time; " + _WRITE_TS),
    )


_OUT_OF_RANGE = ("out of range; timestamps must lie in 1970-01-01T00:00:00Z"
                 " to 2099-12-31T23:59:59Z")


def _timestamp(m: str, types: frozenset[str]) -> Rule:
    """`m` is a timestamp, which lines of `types` must give."""
    return Rule(m, f"v_{m} IS NULL", WRONG_FORMAT, _OUT_OF_RANGE, types,
                (_missing(m, _WRITE_TS), *_timestamp_reasons(m)), given=True)


def _end(types: frozenset[str]) -> Rule:
    """``end`` is a timestamp, or JSON ``null`` for an interval still going on
    (realtime.md §1); a missing ``end`` is never read as open."""
    breaks = ("CASE WHEN v_end IS NOT NULL THEN false WHEN j_end IS NOT NULL THEN true "
              "WHEN is_json THEN NOT json_exists(raw, '$.end') END")
    missing = _missing("end", _WRITE_TS + ", or null for an interval still going on")
    return Rule("end", breaks, WRONG_FORMAT, _OUT_OF_RANGE, types,
                (missing, *_timestamp_reasons("end")), given=True)


def _required_members(rules: tuple[Rule, ...], event_type: str) -> int:
    """How many members a valid line of `event_type` has at least (all different)."""
    return len({r.member for r in rules
                if r.given and (r.types is None or event_type in r.types)})


def _unique_names(rules: tuple[Rule, ...]) -> Rule:
    """No member name repeats in a line.

    An object of n members has n - 1 commas between them (``commas``, which only
    the fast pass's lines hold, counts those in the line, and those in its
    values): a line that keeps the other `rules` has at least the members they
    require of its type, so when its commas are one fewer, those are all its
    members and no name repeats. Only other lines (with members the spec does
    not name, a comma in a value) are looked at name by name.
    """
    required = "CASE s_type " + " ".join(
        f"WHEN {literal(t)} THEN {_required_members(rules, t)}" for t in EVENT_TYPES) + " END"
    return Rule(
        None,
        "CASE WHEN is_json THEN len(json_keys(raw)) > len(list_distinct(json_keys(raw))) END",
        WRONG_FORMAT, REPEATED,
        each=f"list_transform(repeated_names(json_keys(raw)), lambda n: left(n, {NAME_SHOWN}))",
        unless=f"commas + 1 = {required}",
    )


def _line_rules() -> tuple[Rule, ...]:
    """The rules of a line as a whole: JSON, an object."""
    return (
        Rule(None, "NOT is_json", WRONG_FORMAT, NOT_JSON, alone=True),
        Rule(None, "CASE WHEN prefix(raw, '{') THEN false "
                   "ELSE ltrim(raw, E' \\t\\r\\n')[1] <> '{' END",
             WRONG_FORMAT, "an event must be a JSON object", alone=True),
    )


def _member_rules() -> tuple[Rule, ...]:
    """The rules of each member on its own, in reporting order."""
    intervals, answered = frozenset(INTERVAL_TYPES), frozenset(ANSWERED_TYPES)
    queue_calls = frozenset({QUEUE_CALL})
    subtypes = tuple(
        _one_of(sub[0], sub[1], "subtype", frozenset({event_type}))
        for event_type, sub in SUBTYPES.items() if sub is not None
    )
    return (
        Rule("id", "event_id IS NULL", WRONG_FORMAT, "must be a string of " + _ID_FORM,
             reasons=(_missing("id", "write " + _ID_FORM),), given=True),
        _one_of("type", EVENT_TYPES, "type"),
        _entity("userId", "user_id", frozenset(EVENT_TYPES) - queue_calls),
        Rule("userId", "j_userId IS NOT NULL AND user_id IS NULL", WRONG_FORMAT,
             f"must be {_ENTITY_FORM}, or null for a queue call that was not answered",
             queue_calls),
        _entity("projectId", "project_id"),
        _entity("queueId", "queue_id", queue_calls),
        *subtypes,
        _timestamp("start", intervals),
        _end(intervals),
        _timestamp("time", frozenset(POINT_TYPES)),
        Rule("answer", "CASE WHEN j_answer IS NULL AND is_json "
                       "THEN NOT json_exists(raw, '$.answer') END",
             REQUIRED, "missing; write null for an unanswered call, or the answer time: "
             + _WRITE_TS.removeprefix("write "), answered, given=True),
        Rule("answer", "j_answer IS NOT NULL AND v_answer IS NULL", WRONG_FORMAT, _OUT_OF_RANGE,
             answered, _timestamp_reasons("answer")),
    )


def _relation_rules() -> tuple[Rule, ...]:
    """The rules between members (looked at where each member is valid)."""
    intervals = frozenset(INTERVAL_TYPES)
    queue_calls = frozenset({QUEUE_CALL})
    return (
        Rule("end", "v_start > v_end", BAD_ARGUMENTS,
             "is before start; end must not precede start", intervals),
        Rule("start", f"j_end IS NULL AND v_start > epoch(now()) + {MAX_OPEN_LEAD}",
             BAD_ARGUMENTS, f"lies more than {MAX_OPEN_LEAD} seconds after the server's clock;"
             " an interval still going on (end null) must have started", intervals),
        Rule("end", f"v_end - v_start > {MAX_INTERVAL_SECONDS}", BAD_ARGUMENTS,
             f"the interval is longer than {MAX_INTERVAL_SECONDS} seconds; "
             "split longer periods into several events", intervals),
        Rule("answer", "v_start <= v_end AND (v_answer < v_start OR v_answer > v_end)",
             BAD_ARGUMENTS, "must lie between start and end, or be null for an unanswered call",
             frozenset(ANSWERED_TYPES)),
        Rule("userId", "v_answer IS NOT NULL AND j_userId IS NULL", REQUIRED,
             "missing; write the id of the agent who answered the queue call "
             f"({_ENTITY_FORM})", queue_calls),
        Rule("userId", "CASE WHEN j_answer IS NULL AND user_id IS NOT NULL "
                       "THEN json_exists(raw, '$.answer') END", BAD_ARGUMENTS,
             "must be null for a queue call that was not answered (answer is null)",
             queue_calls),
    )


def _rules() -> tuple[Rule, ...]:
    rules = (*_member_rules(), *_relation_rules())
    return (*_line_rules(), _unique_names(rules), *rules)


#: Every rule, in the order their problems are reported.
RULES: tuple[Rule, ...] = _rules()
