"""What a statistics resource answers, as data: its dimensions, fields and sums.

A resource lists the dimensions a request may group by, each with the column the
plan computes for it, the key (JSON) or column (csv/tab) that shows it and how
its value is written; the fields it offers; and the sums it reads. The planner,
the SQL writer and the renderer read only this description, so a new resource
is a new description, not new code in each store.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ccstats.catalog import CATALOG
from ccstats.field import Field
from ccstats.inbound import INBOUND_FIELDS
from ccstats.kpis import Source


class Text(StrEnum):
    """How a dimension's value (an integer in the cells) is written in the answer."""

    NUMBER = "number"
    """Decimal digits, unquoted (ids)."""
    DATE = "date"
    """A day number written as ``yyyy-mm-dd``, quoted in JSON."""
    TIME = "time"
    """Minutes after midnight written as the API's ``hmm`` number (``930`` for 09:30)."""


@dataclass(frozen=True, slots=True)
class Dimension:
    """One way of grouping the records."""

    name: str
    """As requested (``dimensions=project,user``)."""
    key: str
    """The JSON key and csv/tab column that shows it."""
    column: str
    """The column of the plan's rows (and of the cells) that holds its value."""
    text: Text


@dataclass(frozen=True, slots=True)
class Resource:
    """A statistics resource: what it groups by and which fields it sums."""

    name: str
    dimensions: tuple[Dimension, ...]
    """In the fixed order of keys and columns in the answer."""
    fields: tuple[Field, ...]
    id_columns: tuple[tuple[str, str], ...]
    """(query member, column) of the id filters: ``projects`` keeps ``project_id`` in it."""

    def dimension(self, name: str) -> Dimension:
        return next(d for d in self.dimensions if d.name == name)

    def ordered(self, names: tuple[str, ...]) -> list[Dimension]:
        """The dimensions `names` in the answer's key/column order (not request order)."""
        return [d for d in self.dimensions if d.name in names]


#: The dimensions every resource has, first in its key order.
_DATE_TIME_PROJECT = (
    Dimension("date", "date", "day", Text.DATE),
    Dimension("time", "time", "minute", Text.TIME),
    Dimension("project", "projectId", "project_id", Text.NUMBER),
)

USERBASED = Resource(
    name="userbased",
    dimensions=(*_DATE_TIME_PROJECT, Dimension("user", "userId", "user_id", Text.NUMBER)),
    fields=CATALOG,
    id_columns=(("projects", "project_id"), ("users", "user_id")),
)

INBOUND = Resource(
    name="inbound",
    dimensions=(*_DATE_TIME_PROJECT, Dimension("queue", "queueId", "queue_id", Text.NUMBER)),
    fields=INBOUND_FIELDS,
    id_columns=(("projects", "project_id"), ("queues", "queue_id")),
)

#: The resource answering each source's statistics (and its KPIs).
RESOURCES: dict[Source, Resource] = {Source.USERBASED: USERBASED, Source.INBOUND: INBOUND}
