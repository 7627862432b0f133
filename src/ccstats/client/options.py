"""The options of each resource, named as in the API, and their query-string forms.

An option the resource does not have is refused here, before anything is sent
(the server ignores unknown options, so a misspelt ``hide_sytem_users`` would
otherwise pass silently). Values: a list (or tuple, set, range) becomes a
comma-separated list, ``True``/``False`` become ``true``/``false``, numbers and
strings are sent as they are, and ``None`` leaves the option out. The server checks
the values themselves and refuses bad ones with a 417 (`ApiFailure`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from ccstats.client.errors import UnknownOption

USERBASED = frozenset({"projects", "users", "hide_system_users", "fields", "preset",
                       "timezone", "interval"})
INBOUND = frozenset({"projects", "queues", "manual_sla", "fields", "timezone", "interval"})
KPIS = frozenset({"projects", "users", "hide_system_users", "queues", "manual_sla",
                  "timezone", "interval"})
ONLINE_USERS = frozenset({"projects", "users", "hide_system_users"})
REALTIME_QUEUES = frozenset({"projects", "queues", "manual_sla"})
STREAM = ONLINE_USERS | REALTIME_QUEUES

Value = str | int | bool | Iterable[str | int] | None


def query(resource: str, allowed: frozenset[str], options: Mapping[str, Value]
          ) -> dict[str, str]:
    """The query-string options of a request of `resource` (for messages)."""
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise UnknownOption(f"{resource} has no option {', '.join(unknown)}; its options are "
                            f"{', '.join(sorted(allowed))}")
    return {name: text(name, value) for name, value in options.items() if value is not None}


def text(name: str, value: Value) -> str:
    """`value` of option `name` as the query string writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, Iterable):
        items = list(value)
        if all(isinstance(item, int | str) and not isinstance(item, bool) for item in items):
            return ",".join(str(item) for item in items)
    raise UnknownOption(f"{name} must be a string, a number, a boolean or a list of ids or "
                        f"names; got {value!r}")


def day(name: str, value: date) -> str:
    """A `datetime.date` as ``yyyymmdd`` (`name` is ``start`` or ``end``)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise UnknownOption(f"{name} must be a datetime.date; got {value!r}")
    return value.strftime("%Y%m%d")


def period(start: date, end: date, dimensions: str | Iterable[str]) -> dict[str, str]:
    """The options every statistics request has: ``from``, ``to`` and ``dimensions``."""
    items = [dimensions] if isinstance(dimensions, str) else list(dimensions)
    if not all(isinstance(item, str) for item in items):
        raise UnknownOption(f"dimensions must be names such as ['project', 'user']; "
                            f"got {dimensions!r}")
    return {"from": day("start", start), "to": day("end", end), "dimensions": ",".join(items)}
