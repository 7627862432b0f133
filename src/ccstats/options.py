"""The statistics endpoints' options, each parsed from its text (api.md).

A parser appends every problem it finds to the request's list of errors and
returns None (or an empty value) for an option it could not read, so that all
problems of a request are reported together. Codes: ``error.required`` (a
mandatory option is missing or empty), ``error.wrong_format`` (the text is not
of the expected form, e.g. ``from=202000106``), and ``error.bad_arguments``
(well-formed but not acceptable: an unknown id, field, zone or value, ``from``
after ``to``, a range over the maximum).

An optional option given with an empty value (``projects=``) counts as absent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from enum import StrEnum

from ccstats import buckets, catalog, kpis
from ccstats.digits import parse_digits
from ccstats.errors import ApiError, bad_arguments, required, wrong_format
from ccstats.events import MAX_EPOCH, MIN_EPOCH
from ccstats.field import Field
from ccstats.kpis import KpiFormula, Source
from ccstats.model import Customer, Preset

INTERVALS: tuple[int, ...] = (60, 30, 15)
DEFAULT_MAX_DAYS = 366
#: Dates a request may name: every local date on which an accepted event's moment
#: (`ccstats.events.MIN_EPOCH` to `MAX_EPOCH`, in UTC) falls in some zone; offsets are
#: less than a day, so the first falls on 1969-12-31 west of UTC and the last on
#: 2100-01-01 far east of it.
FIRST_DATE = buckets.day_of(MIN_EPOCH // buckets.DAY - 1)
LAST_DATE = buckets.day_of((MAX_EPOCH - 1) // buckets.DAY + 1)

_DATE = re.compile(r"\d{8}", re.ASCII)
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class OutputFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    TAB = "tab"
    XLSX = "xlsx"
    """Extension: an Excel workbook (`ccstats.spreadsheet`), of the statistics only."""


_FORMATS = {"json": OutputFormat.JSON, "csv": OutputFormat.CSV, "cvs": OutputFormat.CSV,
            "tab": OutputFormat.TAB, "xlsx": OutputFormat.XLSX}
#: The formats of the answers written as text (the real-time resources offer only these).
TEXT_FORMATS = (OutputFormat.JSON, OutputFormat.CSV, OutputFormat.TAB)


def option(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def parse_date(name: str, text: str | None, errors: list[ApiError]) -> date | None:
    form = "write yyyymmdd, e.g. 20200601"
    if text is None:
        errors.append(required(name, f"{name} is required; {form}"))
        return None
    if not _DATE.fullmatch(text):
        errors.append(wrong_format(name, f"{name} must be a date as yyyymmdd, e.g. 20200601; "
                                         f"got {text[:40]!r}"))
        return None
    try:
        day = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        errors.append(wrong_format(name, f"{name} is not a real calendar date; {form}"))
        return None
    if not FIRST_DATE <= day <= LAST_DATE:
        errors.append(bad_arguments(name, f"{name} must lie between "
                                          f"{FIRST_DATE:%Y%m%d} and {LAST_DATE:%Y%m%d}"))
        return None
    return day


def parse_list(name: str, text: str, form: str, errors: list[ApiError]) -> list[str] | None:
    """The comma-separated items of option `name`, spaces around them ignored.

    An empty item (a comma at either end, or two in a row) is ``wrong_format``, the
    same in every list; `form` says what the items are, with an example.
    """
    items = [item.strip() for item in text.split(",")]
    if "" in items:
        errors.append(wrong_format(name, f"{name} has an empty item; write {form}, with no "
                                         "comma at either end or two in a row"))
        return None
    return items


def parse_ids(name: str, text: str | None, known: set[int], errors: list[ApiError],
               what: str) -> list[int] | None:
    if text is None:
        return None
    items = parse_list(name, text, f"comma-separated {what} ids, e.g. 53,64", errors)
    if items is None:
        return None
    numbers = [parse_digits(item) for item in items]
    malformed = [item for item, number in zip(items, numbers, strict=True) if number is None]
    if malformed:
        errors.append(wrong_format(name, f"{name} must be comma-separated {what} ids, "
                                         f"e.g. 53,64; not {malformed[0][:40]!r}"))
        return None
    ids = list(dict.fromkeys(n for n in numbers if n is not None))
    unknown = [str(i) for i in ids if i not in known]
    if unknown:
        errors.append(bad_arguments(name, f"unknown {what} id(s) in {name}: "
                                          f"{', '.join(unknown[:20])}"))
        return None
    return ids


def parse_dimensions(text: str | None, dimensions: tuple[str, ...], errors: list[ApiError]
                     ) -> tuple[str, ...]:
    """The requested subset of `dimensions` (the endpoint's), in request order."""
    allowed = ", ".join(dimensions)
    if text is None:
        errors.append(required("dimensions", f"dimensions is required; write a comma-separated "
                                             f"list of {allowed}, e.g. project,user"))
        return ()
    items = parse_list("dimensions", text, f"a comma-separated list of {allowed}, e.g. "
                                            "project,user", errors)
    if items is None:
        return ()
    unknown = [item for item in items if item not in dimensions]
    repeated = sorted({item for item in items if items.count(item) > 1})
    if unknown:
        errors.append(bad_arguments("dimensions", f"unknown dimension {unknown[0][:40]!r}; "
                                                  f"each must be one of {allowed}"))
    if repeated:
        errors.append(bad_arguments("dimensions", f"dimension {repeated[0]!r} is repeated; "
                                                  "name each dimension at most once"))
    return tuple(items) if not unknown and not repeated else ()


def parse_fields(text: str | None, offered: tuple[Field, ...], listing: str,
                 errors: list[ApiError]) -> tuple[Field, ...] | None:
    """The named fields of `offered` (the endpoint's catalog, listed at `listing`)."""
    if text is None:
        return None
    example = ",".join(found.name for found in offered[:2])
    names = parse_list("fields", text, f"comma-separated field names, e.g. {example}", errors)
    if names is None:
        return None
    by_name = {found.name: found for found in offered}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        errors.append(bad_arguments("fields", f"unknown field(s) {', '.join(unknown[:10])}; "
                                              f"GET {listing} lists the field names"))
        return None
    return tuple(by_name[name] for name in dict.fromkeys(names))


def parse_preset(text: str | None, presets: list[Preset], errors: list[ApiError]
                 ) -> tuple[Field, ...] | None:
    if text is None:
        return None
    preset_id = parse_digits(text)
    if preset_id is None:
        errors.append(wrong_format("preset", f"preset must be an integer preset id; "
                                             f"not {text[:40]!r}"))
        return None
    found = next((p for p in presets if p.preset_id == preset_id), None)
    if found is None:
        errors.append(bad_arguments("preset", f"unknown preset id {text}; "
                                              "GET /v2/statistics/presets lists them"))
        return None
    return tuple(catalog.BY_NAME[name] for name in found.fields if name in catalog.BY_NAME)


def parse_range(params: Mapping[str, str], max_days: int,
                 errors: list[ApiError]) -> tuple[date | None, date | None]:
    """``from`` and ``to``, in order and at most `max_days` days apart."""
    first = parse_date("from", option(params, "from"), errors)
    last = parse_date("to", option(params, "to"), errors)
    if first and last:
        if first > last:
            errors.append(bad_arguments("to", "to must not be before from"))
        elif (last - first).days + 1 > max_days:
            errors.append(bad_arguments("to", f"the range from..to spans "
                                              f"{(last - first).days + 1} days; at most "
                                              f"{max_days} days may be requested at once"))
    return first, last


def parse_output(text: str | None, errors: list[ApiError],
                 offered: tuple[OutputFormat, ...] = tuple(OutputFormat)
                 ) -> OutputFormat | None:
    """``of``: one of the `offered` formats (default json)."""
    output_text = text or "json"
    output = _FORMATS.get(output_text.lower())
    if output not in offered:
        names = [str(form) for form in offered]
        errors.append(bad_arguments("of", f"unknown output format {output_text[:40]!r}; "
                                          f"use {', '.join(names[:-1])} or {names[-1]}"))
        return None
    return output


def parse_boolean(name: str, text: str | None, errors: list[ApiError]) -> bool:
    """A flag option (false when absent)."""
    if text is None:
        return False
    if text.lower() not in _BOOLEANS:
        errors.append(bad_arguments(name, f"{name} must be true or false (or 1 or 0)"))
        return False
    return _BOOLEANS[text.lower()]


def parse_zone(text: str | None, customer: Customer, errors: list[ApiError]) -> str:
    zone_name = text or customer.timezone
    if not buckets.is_known_zone(zone_name):
        errors.append(bad_arguments("timezone", f"unknown time zone {zone_name[:60]!r}; use an "
                                                "IANA name such as Europe/Budapest"))
    return zone_name


def parse_interval(text: str | None, errors: list[ApiError]) -> int | None:
    interval = parse_digits(text or "60")
    if interval not in INTERVALS:
        errors.append(bad_arguments("interval", "interval must be 60, 30 or 15 (minutes)"))
        return None
    return interval




#: ``manual_sla``: the service level's threshold in seconds.
SLA_RANGE = (1, 3600)
DEFAULT_SLA = 30


def parse_sla(text: str | None, errors: list[ApiError]) -> int:
    """``manual_sla``: whole seconds from 1 to 3600 (default 30)."""
    if text is None:
        return DEFAULT_SLA
    seconds = parse_digits(text)
    low, high = SLA_RANGE
    if seconds is None:
        errors.append(wrong_format("manual_sla", f"manual_sla must be whole seconds from {low} "
                                                 f"to {high}, e.g. 20; not {text[:40]!r}"))
        return DEFAULT_SLA
    if not low <= seconds <= high:
        errors.append(bad_arguments("manual_sla", f"manual_sla must lie between {low} and "
                                                  f"{high} seconds; got {seconds}"))
    return seconds


def parse_kpis(text: str | None, errors: list[ApiError]) -> tuple[KpiFormula, ...]:
    """``kpis``: the names of KPIs of one source, in the order wanted (empty on a problem)."""
    listing = "GET /v2/statistics/kpis/definitions lists them"
    if text is None:
        errors.append(required("kpis", f"kpis is required; write comma-separated KPI names, "
                                       f"e.g. serviceLevel,asa; {listing}"))
        return ()
    names = parse_list("kpis", text, "comma-separated KPI names, e.g. serviceLevel,asa", errors)
    if names is None:
        return ()
    unknown = [name for name in names if kpis.lookup(name) is None]
    if unknown:
        errors.append(bad_arguments("kpis", f"unknown KPI(s) {', '.join(unknown[:10])}; "
                                            f"{listing}"))
        return ()
    chosen = tuple(kpis.BY_NAME[name] for name in dict.fromkeys(names))
    sources = sorted({str(formula.source) for formula in chosen})
    if len(sources) > 1:
        errors.append(bad_arguments("kpis", f"the KPIs are of the sources {' and '.join(sources)}; "
                                            "ask for KPIs of one source per request"))
        return ()
    return chosen


def refuse(params: Mapping[str, str], name: str, source: Source,
           errors: list[ApiError]) -> None:
    """A problem if option `name`, which the `source` statistics do not have, is given."""
    if option(params, name) is not None:
        errors.append(bad_arguments(name, f"{name} is not an option of the {source} "
                                          "statistics; leave it out"))
