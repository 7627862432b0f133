"""An independent, slow and obviously-correct oracle of the inbound and KPI endpoints.

``GET /v2/statistics/inbound`` and ``GET /v2/statistics/kpis`` are re-derived here from
the written contract alone (``shared/spec/queues-and-kpis.md``, with the shared rules of
``api.md`` and ``events-and-kpis.md``). Like :mod:`oracle` (the userbased oracle, whose
helpers this module reuses) it shares no code with ``ccstats``.

The approach, step by step:

1. **Event state**: the stored events, e.g. :func:`oracle.apply_ops`'s answer (replacement
   and deletion by id); a list of events is accepted too.
2. **Queue calls** (:func:`queue_call_fields`): every closed ``queuecall`` is turned into
   ``(field, seconds)`` pairs straight from the table of §2; a queue call whose ``end`` is
   ``null`` adds nothing. A queue call is never split: it counts whole in the bucket
   (:func:`oracle.bucket_of`: local date and slot by wall-clock conversion) of ``start``.
3. **Inbound records** (:func:`expected_inbound`): keep the calls whose local start date
   is within ``[date_from, date_to]`` and whose project and queue pass the filters, group
   them by the requested dimensions, add counts and seconds, and emit records sorted by
   the dimensions in request order. A field is listed iff its count is > 0 in the group
   (every contribution counts one, so that is "some call contributed to it").
4. **KPIs** (:func:`expected_kpis`): the base fields of the requested KPIs are asked of
   the source's oracle (:func:`expected_inbound`, or :func:`oracle.expected_response` for
   userbased KPIs), so a record exists iff one of them is present in the group; each
   KPI's numerator and denominator are the exact integer sums of §3 (an absent field
   and a ``null`` member are 0), and its value is their quotient rounded with
   :class:`fractions.Fraction` (:func:`kpi_value`).
5. **Text formats** (:func:`expected_inbound_csv`, :func:`expected_kpis_csv`): one line
   per (record, field) or (record, KPI), csv (CRLF, RFC 4180 quoting) or tab (LF).

A KPI ``value`` is the Python ``float`` of the rounded decimal (the double nearest to
it), so ``json.dumps`` and ``str`` write it as ``0.8125``, ``1.0``, ``0.0`` or ``12.5``;
the csv/tab cell is that same text.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from oracle import (
    CATALOG,
    Event,
    Record,
    _cell,
    bucket_of,
    expected_response,
    hhmm,
    parse_timestamp,
)

EventState = Mapping[str, Event] | Iterable[Mapping[str, Any]]
"""Stored events: a mapping id -> event (as :func:`oracle.apply_ops` returns) or a list."""

INBOUND_FIELDS: tuple[str, ...] = (
    "offered",
    "answered",
    "abandoned",
    "answeredWithinSla",
    "abandonedWithinSla",
    "answerWait",
)
"""Every inbound field, in the order of the spec's table (used when no fields are named)."""

INBOUND_SUM_IS_NULL: frozenset[str] = frozenset({"answeredWithinSla", "abandonedWithinSla"})
"""Inbound fields whose ``sum`` is always ``null``."""

INBOUND_DIMENSION_KEYS: Mapping[str, str] = {
    "date": "date",
    "time": "time",
    "project": "projectId",
    "queue": "queueId",
}
"""Inbound dimension name -> record key, in the fixed key (and csv column) order."""

USERBASED_DIMENSION_KEYS: Mapping[str, str] = {
    "date": "date",
    "time": "time",
    "project": "projectId",
    "user": "userId",
}
"""Userbased dimension name -> record key, in the fixed key (and csv column) order."""

_INTERVAL_TYPES = frozenset({"userstate", "call", "chat", "queuecall"})
_PLACES = 4


# --------------------------------------------------------------------------- event state


def stored_events(state: EventState) -> list[Mapping[str, Any]]:
    """The events of ``state``: a mapping's values, or the iterable's items."""
    if isinstance(state, Mapping):
        return list(state.values())
    return list(state)


def is_closed(event: Mapping[str, Any]) -> bool:
    """False for an interval still going on (``end`` null), which adds nothing yet."""
    return event["type"] not in _INTERVAL_TYPES or event.get("end") is not None


# --------------------------------------------------------------------------- queue calls


def queue_call_fields(event: Mapping[str, Any], manual_sla: int) -> list[tuple[str, int | None]]:
    """The ``(field, seconds)`` contributions of one closed queue call (§2's table).

    Each pair counts one; ``seconds`` is ``None`` for the fields whose sum is null.
    """
    start, end = parse_timestamp(event["start"]), parse_timestamp(event["end"])
    raw_answer = event.get("answer")
    out: list[tuple[str, int | None]] = [("offered", end - start)]
    if raw_answer is not None:
        answer = parse_timestamp(raw_answer)
        wait = answer - start
        out += [("answered", end - answer), ("answerWait", wait)]
        if wait <= manual_sla:
            out.append(("answeredWithinSla", None))
    else:
        wait = end - start
        out.append(("abandoned", wait))
        if wait <= manual_sla:
            out.append(("abandonedWithinSla", None))
    return out


def _wanted(fields: Sequence[str] | None, known: Sequence[str]) -> list[str]:
    """Requested names in request order, repeats dropped (first kept); None is all."""
    wanted: list[str] = []
    for name in known if fields is None else fields:
        if name not in known:
            raise ValueError(f"unknown name {name!r}")
        if name not in wanted:
            wanted.append(name)
    return wanted


def _check_dimensions(dimensions: Sequence[str], allowed: Collection[str]) -> None:
    if not dimensions or len(set(dimensions)) != len(dimensions):
        raise ValueError(f"bad dimensions {dimensions!r}")
    for name in dimensions:
        if name not in allowed:
            raise ValueError(f"dimension {name!r} is not one of {sorted(allowed)}")


def expected_inbound(
    events_state: EventState,
    zone: str,
    date_from: date,
    date_to: date,
    dimensions: Sequence[str],
    interval: int,
    projects: Collection[int] | None,
    queues: Collection[int] | None,
    manual_sla: int,
    fields: Sequence[str] | None,
) -> list[Record]:
    """The JSON ``response`` list of ``GET /v2/statistics/inbound``.

    ``dimensions`` are request names (``project``, ``queue``, ``date``, ``time``) in
    request order; ``projects``/``queues`` are id filters, ``None`` meaning all (the
    service's default is the *active* projects: pass them explicitly); ``fields`` is the
    requested field list or ``None`` for every field. Events of other types are ignored.
    """
    _check_dimensions(dimensions, INBOUND_DIMENSION_KEYS)
    wanted = _wanted(fields, INBOUND_FIELDS)
    groups: dict[tuple[Any, ...], dict[str, list[int]]] = {}
    for event in stored_events(events_state):
        if event["type"] != "queuecall" or not is_closed(event):
            continue
        project, queue = int(event["projectId"]), int(event["queueId"])
        if projects is not None and project not in projects:
            continue
        if queues is not None and queue not in queues:
            continue
        day, slot = bucket_of(zone, interval, parse_timestamp(event["start"]))
        if not date_from <= day <= date_to:
            continue
        values = {"project": project, "queue": queue, "date": day.isoformat(), "time": hhmm(slot)}
        group = groups.setdefault(tuple(values[name] for name in dimensions), {})
        for field, seconds in queue_call_fields(event, manual_sla):
            if field in wanted:
                total = group.setdefault(field, [0, 0])
                total[0] += 1
                total[1] += seconds or 0
    return [
        _inbound_record(dict(zip(dimensions, key, strict=True)), groups[key], wanted)
        for key in sorted(groups)
        if groups[key]
    ]


def _inbound_record(
    by_name: Mapping[str, Any], totals: Mapping[str, list[int]], wanted: Sequence[str]
) -> Record:
    record: Record = {key: by_name[name] for name, key in INBOUND_DIMENSION_KEYS.items()
                      if name in by_name}
    record["data"] = [
        {
            "field": field,
            "count": totals[field][0],
            "sum": None if field in INBOUND_SUM_IS_NULL else totals[field][1],
        }
        for field in wanted
        if field in totals and totals[field][0] > 0
    ]
    record["level"] = len(by_name) - 1
    return record


# --------------------------------------------------------------------------- KPIs

Term = tuple[int, str, str]
"""(coefficient, field, ``"count"`` or ``"sum"``): one term of a numerator or denominator."""


def _sums(*fields: str) -> tuple[Term, ...]:
    return tuple((1, field, "sum") for field in fields)


def _counts(*fields: str) -> tuple[Term, ...]:
    return tuple((1, field, "count") for field in fields)


_H = _sums("userstateCall", "userstateAfterwork", "userstatePrework", "userstateRinging")
_I = _sums("userstateAvailable", "userstateWaitingForCall", "userstateWaitingForRecall")
_N = _counts("callInAnswered", "callOutReached")


@dataclass(frozen=True)
class Kpi:
    """One row of §3's table."""

    source: str
    numerator: tuple[Term, ...]
    denominator: tuple[Term, ...]

    def base_fields(self) -> set[str]:
        return {field for _, field, _ in self.numerator + self.denominator}


KPIS: Mapping[str, Kpi] = {
    "aht": Kpi(
        "userbased", _sums("callInAnswered", "callOutReached", "userstateAfterwork"), _N
    ),
    "avgTalkIn": Kpi("userbased", _sums("callInAnswered"), _counts("callInAnswered")),
    "avgTalkOut": Kpi("userbased", _sums("callOutReached"), _counts("callOutReached")),
    "avgAfterwork": Kpi("userbased", _sums("userstateAfterwork"), _N),
    "occupancy": Kpi("userbased", _H, _H + _I),
    "utilisation": Kpi(
        "userbased", _H, _H + _I + _sums("userstateBreak", "userstateUnavailable")
    ),
    "callInAnswerRate": Kpi(
        "userbased", _counts("callInAnswered"), _counts("callInAnswered", "callInMissed")
    ),
    "callOutReachRate": Kpi("userbased", _counts("callOutReached"), _counts("callOutAttempt")),
    "dispositionSuccessRate": Kpi(
        "userbased",
        _counts("dispositionStatusSuccess"),
        _counts(
            "dispositionStatusSuccess",
            "dispositionStatusRecall",
            "dispositionStatusFailed",
            "dispositionReachFailed",
        ),
    ),
    "serviceLevel": Kpi("inbound", _counts("answeredWithinSla"), _counts("offered")),
    "serviceLevelExShortAbandons": Kpi(
        "inbound",
        _counts("answeredWithinSla"),
        ((1, "offered", "count"), (-1, "abandonedWithinSla", "count")),
    ),
    "asa": Kpi("inbound", _sums("answerWait"), _counts("answerWait")),
    "abandonmentRate": Kpi("inbound", _counts("abandoned"), _counts("offered")),
    "avgAbandonWait": Kpi("inbound", _sums("abandoned"), _counts("abandoned")),
    "avgTalk": Kpi("inbound", _sums("answered"), _counts("answered")),
}
"""Every KPI of §3, in the order of its table."""


def kpi_value(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator`` rounded to 4 decimals half away from zero; None for /0.

    The exact rounded decimal is computed with fractions, then converted once to the
    nearest ``float`` (what the JSON number and the csv cell write).
    """
    if denominator == 0:
        return None
    exact = Fraction(numerator, denominator)
    scale = 10**_PLACES
    magnitude = math.floor(abs(exact) * scale + Fraction(1, 2))
    return float(Fraction(magnitude if exact >= 0 else -magnitude, scale))


def _evaluate(terms: Iterable[Term], data: Sequence[Mapping[str, Any]]) -> int:
    """A side of a KPI over a record's ``data`` (absent field and null member: 0)."""
    by_field = {entry["field"]: entry for entry in data}
    total = 0
    for coefficient, field, measure in terms:
        value = by_field.get(field, {}).get(measure)
        total += coefficient * (value or 0)
    return total


def _kpi_entry(name: str, data: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    numerator = _evaluate(KPIS[name].numerator, data)
    denominator = _evaluate(KPIS[name].denominator, data)
    return {
        "kpi": name,
        "value": kpi_value(numerator, denominator),
        "numerator": numerator,
        "denominator": denominator,
    }


def kpi_source(kpis: Sequence[str]) -> str:
    """The one source of the requested KPIs (``ValueError`` if none, unknown or mixed)."""
    sources = {KPIS[name].source for name in _wanted(kpis, tuple(KPIS))}
    if len(sources) != 1:
        raise ValueError(f"KPIs of several sources or none: {list(kpis)!r}")
    return sources.pop()


def expected_kpis(
    events_state: EventState,
    zone: str,
    date_from: date,
    date_to: date,
    dimensions: Sequence[str],
    interval: int,
    projects: Collection[int] | None,
    kpis: Sequence[str],
    *,
    users: Collection[int] | None = None,
    queues: Collection[int] | None = None,
    manual_sla: int = 30,
) -> list[Record]:
    """The JSON ``response`` list of ``GET /v2/statistics/kpis``.

    ``kpis`` are the requested names in request order (repeats dropped, first kept), all
    of one source; ``dimensions`` must be of that source (``user`` for userbased KPIs,
    ``queue`` for inbound ones). ``users`` filters userbased KPIs, ``queues`` and
    ``manual_sla`` inbound ones; ``None`` is all. Records keep the source's key order
    with ``kpis`` in place of ``data``.
    """
    names = _wanted(kpis, tuple(KPIS))
    source = kpi_source(names)
    needed = set().union(*(KPIS[name].base_fields() for name in names))
    if source == "inbound":
        base = expected_inbound(
            events_state, zone, date_from, date_to, dimensions, interval, projects, queues,
            manual_sla, [field for field in INBOUND_FIELDS if field in needed],
        )
    else:
        base = _userbased_base(
            events_state, zone, date_from, date_to, dimensions, interval, projects, users,
            [field for field in CATALOG if field in needed],
        )
    records: list[Record] = []
    for record in base:
        out: Record = {key: value for key, value in record.items() if key not in ("data", "level")}
        out["kpis"] = [_kpi_entry(name, record["data"]) for name in names]
        out["level"] = record["level"]
        records.append(out)
    return records


def _userbased_base(
    events_state: EventState,
    zone: str,
    date_from: date,
    date_to: date,
    dimensions: Sequence[str],
    interval: int,
    projects: Collection[int] | None,
    users: Collection[int] | None,
    fields: Sequence[str],
) -> list[Record]:
    """The userbased oracle's records of ``fields`` (queue calls and open intervals left out)."""
    _check_dimensions(dimensions, USERBASED_DIMENSION_KEYS)
    events = [
        event
        for event in stored_events(events_state)
        if event["type"] != "queuecall" and is_closed(event)
    ]
    return expected_response(
        events,
        zone=zone,
        interval=interval,
        date_from=date_from,
        date_to=date_to,
        dimensions=dimensions,
        fields=fields,
        projects=None if projects is None else set(projects),
        users=None if users is None else set(users),
    )


# --------------------------------------------------------------------------- csv / tab


def _render(header: Sequence[str], rows: Iterable[Sequence[object]], sep: str) -> str:
    """csv (``sep=","``: CRLF, RFC 4180) or tab (``sep="\\t"``: LF); every line terminated."""
    if sep not in (",", "\t"):
        raise ValueError(f"bad separator {sep!r}")
    newline = "\r\n" if sep == "," else "\n"
    lines = [sep.join(header)]
    lines += [sep.join(_cell(value, sep) for value in row) for row in rows]
    return "".join(line + newline for line in lines)


def _columns(dimensions: Sequence[str], keys: Mapping[str, str]) -> list[str]:
    return [key for name, key in keys.items() if name in dimensions]


def expected_inbound_csv(records: Sequence[Record], dimensions: Sequence[str], sep: str) -> str:
    """``date,time,projectId,queueId`` (requested ones), ``level,field,count,sum``."""
    columns = _columns(dimensions, INBOUND_DIMENSION_KEYS)
    rows = [
        [*(record[key] for key in columns), record["level"], entry["field"], entry["count"],
         entry["sum"]]
        for record in records
        for entry in record["data"]
    ]
    return _render([*columns, "level", "field", "count", "sum"], rows, sep)


def expected_kpis_csv(
    records: Sequence[Record], dimensions: Sequence[str], source: str, sep: str
) -> str:
    """``date,time,projectId,userId|queueId`` (requested ones), then
    ``level,kpi,value,numerator,denominator``; a null value is an empty cell."""
    keys = INBOUND_DIMENSION_KEYS if source == "inbound" else USERBASED_DIMENSION_KEYS
    columns = _columns(dimensions, keys)
    rows = [
        [*(record[key] for key in columns), record["level"], entry["kpi"], entry["value"],
         entry["numerator"], entry["denominator"]]
        for record in records
        for entry in record["kpis"]
    ]
    return _render([*columns, "level", "kpi", "value", "numerator", "denominator"], rows, sep)
