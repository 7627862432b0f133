"""What each column of a statistics answer holds, for a spreadsheet to type its cells.

The columns are those of the csv answer (`ccstats.render.header`): the requested
dimensions (``date`` a date, ``time`` a time of day, the ids integers), ``level``,
the field or KPI name, then its measures. What a measure holds depends on the
line's field or KPI:

- a field's ``count`` is a number of things; its ``sum`` is seconds when its unit is
  ``seconds`` (as for every field with a sum: `ccstats.catalog`, `ccstats.inbound`);
- a KPI's ``value`` is seconds or a ratio (a fraction: 0.8125) as its unit says; its
  ``numerator`` and ``denominator`` are seconds when every term is a field's sum,
  counts when every term is a field's count (`ccstats.kpis`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from ccstats.kpis import Linear, Measure, Unit
from ccstats.pipeline.resource import RESOURCES, Text
from ccstats.query import StatsQuery
from ccstats.render import FIELD_COLUMNS, KPI_COLUMNS


class Kind(Enum):
    """What a cell's text means."""

    DATE = "date"
    """``yyyy-mm-dd``."""
    TIME = "time"
    """The API's ``hmm`` slot start (``930`` for 09:30)."""
    INTEGER = "integer"
    """An id, a level or a count."""
    TEXT = "text"
    """A field's or KPI's name."""
    SECONDS = "seconds"
    """A duration in seconds (a KPI's average has up to 4 decimals)."""
    RATIO = "ratio"
    """A fraction: 0.8125 is 81.25 %."""
    NUMBER = "number"
    """Any other number."""


_DIMENSION_KINDS = {Text.DATE: Kind.DATE, Text.TIME: Kind.TIME, Text.NUMBER: Kind.INTEGER}


@dataclass(frozen=True, slots=True)
class Columns:
    """The columns of one query's answer and the kind of each cell of a line."""

    names: tuple[str, ...]
    """As the csv header names them."""
    leading: tuple[Kind, ...]
    """The kinds of the columns every line shares: the dimensions, ``level`` and the name."""
    measures: Mapping[str, tuple[Kind, ...]]
    """By field or KPI name, the kinds of the columns after the name."""

    @property
    def name_column(self) -> int:
        """The index of the column holding the line's field or KPI name."""
        return len(self.leading) - 1

    def kinds(self, name: str) -> tuple[Kind, ...]:
        """The kind of every cell of a line about the field or KPI `name`."""
        return self.leading + self.measures[name]


def columns_of(query: StatsQuery) -> Columns:
    """The columns of `query`'s answer (a fields or a KPI answer)."""
    dimensions = RESOURCES[query.source].ordered(query.dimensions)
    leading = (*(_DIMENSION_KINDS[d.text] for d in dimensions), Kind.INTEGER, Kind.TEXT)
    keys = tuple(d.key for d in dimensions)
    if query.kpis:
        measures = {kpi.name: (Kind.SECONDS if kpi.unit is Unit.SECONDS else Kind.RATIO,
                               _kind_of(kpi.numerator), _kind_of(kpi.denominator))
                    for kpi in query.kpis}
        return Columns((*keys, *KPI_COLUMNS), leading, measures)
    fields = {field.name: (Kind.INTEGER, Kind.SECONDS if field.public()["unit"] == "seconds"
                           else Kind.NUMBER) for field in query.fields}
    return Columns((*keys, *FIELD_COLUMNS), leading, fields)


def _kind_of(terms: Linear) -> Kind:
    """Seconds if every term is a sum, a count if every one is a count."""
    measures = {term.measure for term in terms}
    if measures == {Measure.SUM}:
        return Kind.SECONDS
    return Kind.INTEGER if measures == {Measure.COUNT} else Kind.NUMBER
