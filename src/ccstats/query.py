"""Options of `GET /v2/statistics/userbased` -> a validated `StatsQuery` (api.md).

Every option is checked and all problems are reported together. Codes:
``error.required`` (a mandatory option is missing or empty), ``error.wrong_format``
(the text is not of the expected form, e.g. ``from=202000106``), and
``error.bad_arguments`` (well-formed but not acceptable: an unknown id, field,
zone or value, ``from`` after ``to``, a range over the maximum).

An optional option given with an empty value (``projects=``) counts as absent.
Options this endpoint does not know are ignored, as VCC Live does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ccstats import buckets, catalog
from ccstats.catalog import Kpi
from ccstats.digits import parse_digits
from ccstats.errors import ApiError, InvalidRequest, bad_arguments, required, wrong_format
from ccstats.events import MAX_EPOCH, MIN_EPOCH
from ccstats.field import Field
from ccstats.model import Customer, Preset, Project, Status, User, UserKind

DIMENSIONS: tuple[str, ...] = ("project", "user", "date", "time")
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


_FORMATS = {"json": OutputFormat.JSON, "csv": OutputFormat.CSV, "cvs": OutputFormat.CSV,
            "tab": OutputFormat.TAB}


@dataclass(frozen=True, slots=True)
class StatsQuery:
    """A validated statistics request, ready for a store.

    `projects` is always explicit (the default "active projects" is resolved);
    `users` is None for "every user".
    """

    customer_id: int
    customer_timezone: str
    local: buckets.LocalRange
    interval: int
    dimensions: tuple[str, ...]
    fields: tuple[Field, ...]
    projects: tuple[int, ...]
    users: tuple[int, ...] | None
    output: OutputFormat
    minutes: tuple[int, int]
    """First and last slot start (minutes after local midnight) to include."""

    @property
    def level(self) -> int:
        return len(self.dimensions) - 1


def _option(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _parse_date(name: str, text: str | None, errors: list[ApiError]) -> date | None:
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


def _parse_list(name: str, text: str, form: str, errors: list[ApiError]) -> list[str] | None:
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


def _parse_ids(name: str, text: str | None, known: set[int], errors: list[ApiError],
               what: str) -> list[int] | None:
    if text is None:
        return None
    items = _parse_list(name, text, f"comma-separated {what} ids, e.g. 53,64", errors)
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


def _parse_dimensions(text: str | None, errors: list[ApiError]) -> tuple[str, ...]:
    allowed = ", ".join(DIMENSIONS)
    if text is None:
        errors.append(required("dimensions", f"dimensions is required; write a comma-separated "
                                             f"list of {allowed}, e.g. project,user"))
        return ()
    items = _parse_list("dimensions", text, f"a comma-separated list of {allowed}, e.g. "
                                            "project,user", errors)
    if items is None:
        return ()
    unknown = [item for item in items if item not in DIMENSIONS]
    repeated = sorted({item for item in items if items.count(item) > 1})
    if unknown:
        errors.append(bad_arguments("dimensions", f"unknown dimension {unknown[0][:40]!r}; "
                                                  f"each must be one of {allowed}"))
    if repeated:
        errors.append(bad_arguments("dimensions", f"dimension {repeated[0]!r} is repeated; "
                                                  "name each dimension at most once"))
    return tuple(items) if not unknown and not repeated else ()


def _parse_fields(text: str | None, errors: list[ApiError]) -> tuple[Kpi, ...] | None:
    if text is None:
        return None
    names = _parse_list("fields", text, "comma-separated KPI names, e.g. "
                                        "callInAnswered,callOutReached", errors)
    if names is None:
        return None
    unknown = [name for name in names if catalog.lookup(name) is None]
    if unknown:
        errors.append(bad_arguments("fields", f"unknown field(s) {', '.join(unknown[:10])}; "
                                              "GET /v2/statistics/fields lists the KPI names"))
        return None
    return tuple(catalog.BY_NAME[name] for name in dict.fromkeys(names))


def _parse_preset(text: str | None, presets: list[Preset], errors: list[ApiError]
                  ) -> tuple[Kpi, ...] | None:
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


def _parse_range(params: Mapping[str, str], max_days: int,
                 errors: list[ApiError]) -> tuple[date | None, date | None]:
    """``from`` and ``to``, in order and at most `max_days` days apart."""
    first = _parse_date("from", _option(params, "from"), errors)
    last = _parse_date("to", _option(params, "to"), errors)
    if first and last:
        if first > last:
            errors.append(bad_arguments("to", "to must not be before from"))
        elif (last - first).days + 1 > max_days:
            errors.append(bad_arguments("to", f"the range from..to spans "
                                              f"{(last - first).days + 1} days; at most "
                                              f"{max_days} days may be requested at once"))
    return first, last


def _parse_output(text: str | None, errors: list[ApiError]) -> OutputFormat | None:
    output_text = text or "json"
    output = _FORMATS.get(output_text.lower())
    if output is None:
        errors.append(bad_arguments("of", f"unknown output format {output_text[:40]!r}; "
                                          "use json, csv or tab"))
    return output


def _parse_boolean(name: str, text: str | None, errors: list[ApiError]) -> bool:
    """A flag option (false when absent)."""
    if text is None:
        return False
    if text.lower() not in _BOOLEANS:
        errors.append(bad_arguments(name, f"{name} must be true or false (or 1 or 0)"))
        return False
    return _BOOLEANS[text.lower()]


def _parse_zone(text: str | None, customer: Customer, errors: list[ApiError]) -> str:
    zone_name = text or customer.timezone
    if not buckets.is_known_zone(zone_name):
        errors.append(bad_arguments("timezone", f"unknown time zone {zone_name[:60]!r}; use an "
                                                "IANA name such as Europe/Budapest"))
    return zone_name


def _parse_interval(text: str | None, errors: list[ApiError]) -> int | None:
    interval = parse_digits(text or "60")
    if interval not in INTERVALS:
        errors.append(bad_arguments("interval", "interval must be 60, 30 or 15 (minutes)"))
        return None
    return interval


def _chosen_users(user_ids: list[int] | None, users: list[User],
                  hide_system: bool) -> list[int] | None:
    """The users asked for (None: every user), without system users if `hide_system`."""
    if not hide_system:
        return user_ids
    system = {u.user_id for u in users if u.kind is UserKind.SYSTEM}
    pool = user_ids if user_ids is not None else [u.user_id for u in users]
    return [u for u in pool if u not in system]


def parse_query(
    params: Mapping[str, str],
    customer: Customer,
    projects: list[Project],
    users: list[User],
    presets: list[Preset],
    max_days: int = DEFAULT_MAX_DAYS,
) -> StatsQuery:
    """Validate the options of a statistics request; raises InvalidRequest with every problem."""
    errors: list[ApiError] = []
    first, last = _parse_range(params, max_days, errors)
    dimensions = _parse_dimensions(_option(params, "dimensions"), errors)
    output = _parse_output(_option(params, "of"), errors)
    project_ids = _parse_ids("projects", _option(params, "projects"),
                             {p.project_id for p in projects}, errors, "project")
    user_ids = _parse_ids("users", _option(params, "users"),
                          {u.user_id for u in users}, errors, "user")
    hide_system = _parse_boolean("hide_system_users", _option(params, "hide_system_users"),
                                 errors)
    fields = _parse_fields(_option(params, "fields"), errors)
    preset_fields = _parse_preset(_option(params, "preset"), presets, errors)
    zone_name = _parse_zone(_option(params, "timezone"), customer, errors)
    interval = _parse_interval(_option(params, "interval"), errors)
    if errors:
        raise InvalidRequest(errors)
    assert first and last and output and interval

    if project_ids is None:
        project_ids = [p.project_id for p in projects if p.status is Status.ACTIVE]
    user_ids = _chosen_users(user_ids, users, hide_system)
    return StatsQuery(
        customer_id=customer.customer_id,
        customer_timezone=customer.timezone,
        local=buckets.local_range(zone_name, first, last),
        interval=interval,
        dimensions=dimensions,
        fields=tuple(fields or preset_fields or catalog.CATALOG),
        projects=tuple(sorted(project_ids)),
        users=None if user_ids is None else tuple(sorted(user_ids)),
        output=output,
        minutes=(0, 24 * 60 - interval),
    )
