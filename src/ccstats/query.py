"""The options of the statistics endpoints -> a validated `StatsQuery` (api.md,
queues-and-kpis.md).

`GET /v2/statistics/userbased`, `/inbound` and `/kpis` share most options
(`ccstats.options`); each endpoint adds its own. Every option is checked and all
problems are reported together (`InvalidRequest`). Options an endpoint does not
know are ignored, as VCC Live does, but for those of the other source that
would change the answer's meaning (``users`` on inbound statistics).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ccstats import buckets, catalog, inbound
from ccstats.errors import ApiError, InvalidRequest
from ccstats.field import Field
from ccstats.kpis import KpiFormula, Source, base_fields
from ccstats.model import Customer, Preset, Project, Queue, Status, User, UserKind
from ccstats.options import (
    DEFAULT_MAX_DAYS,
    DEFAULT_SLA,
    OutputFormat,
    option,
    parse_boolean,
    parse_dimensions,
    parse_fields,
    parse_ids,
    parse_interval,
    parse_kpis,
    parse_output,
    parse_preset,
    parse_range,
    parse_sla,
    parse_zone,
    refuse,
)

__all__ = ["DEFAULT_MAX_DAYS", "Endpoint", "OutputFormat", "StatsQuery", "parse_inbound_query",
           "parse_kpi_query", "parse_query"]


class Endpoint(StrEnum):
    """The statistics resources, as ``/v2/statistics/<name>`` names them."""

    USERBASED = "userbased"
    INBOUND = "inbound"
    KPIS = "kpis"

#: The dimensions of each source's statistics, as a request names them.
DIMENSIONS: dict[Source, tuple[str, ...]] = {
    Source.USERBASED: ("project", "user", "date", "time"),
    Source.INBOUND: ("project", "queue", "date", "time"),
}


@dataclass(frozen=True, slots=True)
class StatsQuery:
    """A validated statistics request, ready for a store.

    `projects` is always explicit (the default "active projects" is resolved);
    `users` and `queues` are None for "every one". `kpis` is empty for a fields
    answer; for a KPI answer it holds the KPIs and `fields` their base fields.
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
    source: Source = Source.USERBASED
    queues: tuple[int, ...] | None = None
    manual_sla: int = DEFAULT_SLA
    """Seconds of wait within which a queue call counts as within the service level."""
    kpis: tuple[KpiFormula, ...] = ()

    @property
    def level(self) -> int:
        return len(self.dimensions) - 1


@dataclass(frozen=True, slots=True)
class _Common:
    """The options every statistics endpoint has, read."""

    first: date
    last: date
    dimensions: tuple[str, ...]
    output: OutputFormat
    projects: tuple[int, ...]
    zone: str
    interval: int


def _common(params: Mapping[str, str], customer: Customer, projects: Sequence[Project],
            source: Source, max_days: int, errors: list[ApiError]) -> _Common | None:
    """The shared options (None, with the problems in `errors`, if any is wrong)."""
    first, last = parse_range(params, max_days, errors)
    dimensions = parse_dimensions(option(params, "dimensions"), DIMENSIONS[source], errors)
    output = parse_output(option(params, "of"), errors)
    project_ids = parse_ids("projects", option(params, "projects"),
                            {p.project_id for p in projects}, errors, "project")
    zone = parse_zone(option(params, "timezone"), customer, errors)
    interval = parse_interval(option(params, "interval"), errors)
    if errors or not (first and last and output and interval):
        return None
    if project_ids is None:
        project_ids = [p.project_id for p in projects if p.status is Status.ACTIVE]
    return _Common(first, last, dimensions, output, tuple(sorted(project_ids)), zone, interval)


def _query(common: _Common, customer: Customer, fields: tuple[Field, ...], *,
           source: Source = Source.USERBASED, users: Sequence[int] | None = None,
           queues: Sequence[int] | None = None, manual_sla: int = DEFAULT_SLA,
           kpis: tuple[KpiFormula, ...] = ()) -> StatsQuery:
    return StatsQuery(
        customer_id=customer.customer_id,
        customer_timezone=customer.timezone,
        local=buckets.local_range(common.zone, common.first, common.last),
        interval=common.interval,
        dimensions=common.dimensions,
        fields=fields,
        projects=common.projects,
        users=None if users is None else tuple(sorted(users)),
        output=common.output,
        minutes=(0, 24 * 60 - common.interval),
        source=source,
        queues=None if queues is None else tuple(sorted(queues)),
        manual_sla=manual_sla,
        kpis=kpis,
    )


def _chosen_users(user_ids: list[int] | None, users: list[User],
                  hide_system: bool) -> list[int] | None:
    """The users asked for (None: every user), without system users if `hide_system`."""
    if not hide_system:
        return user_ids
    system = {u.user_id for u in users if u.kind is UserKind.SYSTEM}
    pool = user_ids if user_ids is not None else [u.user_id for u in users]
    return [u for u in pool if u not in system]


def _userbased(params: Mapping[str, str], users: Sequence[User], errors: list[ApiError]
               ) -> list[int] | None:
    """The users asked for by ``users`` and ``hide_system_users`` (None: every user)."""
    user_ids = parse_ids("users", option(params, "users"), {u.user_id for u in users},
                         errors, "user")
    hide_system = parse_boolean("hide_system_users", option(params, "hide_system_users"),
                                errors)
    return _chosen_users(user_ids, list(users), hide_system)


def _inbound(params: Mapping[str, str], queues: Sequence[Queue], errors: list[ApiError]
             ) -> tuple[list[int] | None, int]:
    """The queues asked for (None: every queue) and ``manual_sla``."""
    refuse(params, "users", Source.INBOUND, errors)
    queue_ids = parse_ids("queues", option(params, "queues"), {q.queue_id for q in queues},
                          errors, "queue")
    return queue_ids, parse_sla(option(params, "manual_sla"), errors)


def parse_query(
    params: Mapping[str, str],
    customer: Customer,
    projects: list[Project],
    users: list[User],
    presets: list[Preset],
    max_days: int = DEFAULT_MAX_DAYS,
) -> StatsQuery:
    """`GET /v2/statistics/userbased`'s options; raises InvalidRequest with every problem."""
    errors: list[ApiError] = []
    common = _common(params, customer, projects, Source.USERBASED, max_days, errors)
    user_ids = _userbased(params, users, errors)
    fields = parse_fields(option(params, "fields"), catalog.CATALOG,
                          "/v2/statistics/fields", errors)
    preset_fields = parse_preset(option(params, "preset"), presets, errors)
    if errors or common is None:
        raise InvalidRequest(errors)
    return _query(common, customer, fields or preset_fields or catalog.CATALOG, users=user_ids)


def parse_inbound_query(
    params: Mapping[str, str],
    customer: Customer,
    projects: list[Project],
    queues: list[Queue],
    max_days: int = DEFAULT_MAX_DAYS,
) -> StatsQuery:
    """`GET /v2/statistics/inbound`'s options; raises InvalidRequest with every problem."""
    errors: list[ApiError] = []
    common = _common(params, customer, projects, Source.INBOUND, max_days, errors)
    queue_ids, sla = _inbound(params, queues, errors)
    fields = parse_fields(option(params, "fields"), inbound.INBOUND_FIELDS,
                          "/v2/statistics/inbound/fields", errors)
    if errors or common is None:
        raise InvalidRequest(errors)
    return _query(common, customer, fields or inbound.INBOUND_FIELDS, source=Source.INBOUND,
                  queues=queue_ids, manual_sla=sla)


def parse_kpi_query(
    params: Mapping[str, str],
    customer: Customer,
    projects: list[Project],
    users: list[User],
    queues: list[Queue],
    max_days: int = DEFAULT_MAX_DAYS,
) -> StatsQuery:
    """`GET /v2/statistics/kpis`'s options: ``kpis`` and the options of the KPIs' source
    (userbased when ``kpis`` cannot be read); raises InvalidRequest with every problem."""
    errors: list[ApiError] = []
    chosen = parse_kpis(option(params, "kpis"), errors)
    source = chosen[0].source if chosen else Source.USERBASED
    common = _common(params, customer, projects, source, max_days, errors)
    if source is Source.INBOUND:
        queue_ids, sla = _inbound(params, queues, errors)
        if errors or common is None:
            raise InvalidRequest(errors)
        return _query(common, customer, base_fields(chosen), source=source, queues=queue_ids,
                      manual_sla=sla, kpis=chosen)
    user_ids = _userbased(params, users, errors)
    if errors or common is None:
        raise InvalidRequest(errors)
    return _query(common, customer, base_fields(chosen), users=user_ids, kpis=chosen)
