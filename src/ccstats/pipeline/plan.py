"""A statistics query (or one of its parts) -> the plan of its statement, as data.

The plan says which sums table answers the query (the coarsest *grain* that
answers it exactly), which rows of it count, and what the rows are grouped by;
`ccstats.pipeline.sql` writes it in a store's dialect.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from ccstats.buckets import LocalRange
from ccstats.field import Field
from ccstats.kpis import Source
from ccstats.pipeline.resource import RESOURCES, Dimension
from ccstats.query import StatsQuery


class Grain(StrEnum):
    """The sums tables (of every store), named by what one row covers."""

    QUARTER_HOUR = "sums"
    """UTC quarter-hours: any zone, any interval."""
    LOCAL_HOUR = "sums_hour"
    """Local date and hour in the customer's zone."""
    LOCAL_DAY = "sums_day"
    """Local date in the customer's zone."""
    QUEUE_CALLS = "queue_calls"
    """The queue calls' counts by the UTC quarter-hour of their start (inbound)."""


def grain_of(query: StatsQuery) -> Grain:
    """The coarsest grain that answers `query` exactly."""
    if query.source is Source.INBOUND:
        return Grain.QUEUE_CALLS
    if query.local.zone != query.customer_timezone:
        return Grain.QUARTER_HOUR
    if "time" not in query.dimensions:
        return Grain.LOCAL_DAY
    return Grain.LOCAL_HOUR if query.interval == 60 else Grain.QUARTER_HOUR


Positions = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FieldOrder:
    """The ids of a request's fields in request order.

    A cell's *position* is the index of its field here: the cells of a record
    are ordered by it, and the renderer finds the field's name and what it shows
    through it. The statement yields the field's id, and the position is looked
    up in memory, which costs less than computing it in the statement.
    """

    field_ids: tuple[int, ...]

    @functools.cached_property
    def _lookup(self) -> Positions:
        lookup = np.full(max(self.field_ids) + 1, -1, dtype=np.int64)
        lookup[list(self.field_ids)] = np.arange(len(self.field_ids))
        return lookup

    def positions(self, field_ids: Sequence[int] | npt.NDArray[np.integer]) -> Positions:
        """The position of each of `field_ids` (each one of the request's fields)."""
        return self._lookup[np.asarray(field_ids, dtype=np.int64)]


@dataclass(frozen=True, slots=True)
class IdFilter:
    """Keep the rows whose `column` is one of `ids` (none: no row)."""

    column: str
    ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the statement of one query part depends on."""

    customer_id: int
    grain: Grain
    local: LocalRange
    """The local dates kept (and the zone that maps quarter-hours to them)."""
    interval: int
    """Minutes per slot (of the ``time`` dimension)."""
    minutes: tuple[int, int]
    """First and last slot start kept, in minutes after local midnight."""
    id_filters: tuple[IdFilter, ...]
    field_ids: tuple[int, ...] | None
    """The fields kept; None when every field of the resource is (no filter needed)."""
    group: tuple[Dimension, ...]
    """The dimensions grouped by, in request order (the order of the cells)."""
    fields: tuple[Field, ...]
    """The requested fields, in request order."""
    manual_sla: int
    """The service level's threshold in seconds (inbound)."""

    @property
    def field_order(self) -> FieldOrder:
        """The requested fields' ids in request order (see `FieldOrder`)."""
        return FieldOrder(tuple(f.field_id for f in self.fields))

    @property
    def selects_nothing(self) -> bool:
        """Whether an id filter keeps no id (then there are no cells)."""
        return any(not found.ids for found in self.id_filters)


def plan_of(query: StatsQuery) -> Plan:
    """The plan of `query` (a whole request or one of its parts), of its resource."""
    resource = RESOURCES[query.source]
    filters = [IdFilter(column, ids) for member, column in resource.id_columns
               if (ids := getattr(query, member)) is not None]
    every_field = len(query.fields) == len(resource.fields)
    return Plan(
        customer_id=query.customer_id,
        grain=grain_of(query),
        local=query.local,
        interval=query.interval,
        minutes=query.minutes,
        id_filters=tuple(filters),
        field_ids=None if every_field else tuple(k.field_id for k in query.fields),
        group=tuple(resource.dimension(name) for name in query.dimensions),
        fields=query.fields,
        manual_sla=query.manual_sla,
    )
