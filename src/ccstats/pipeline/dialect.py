"""The few places where the SQL of DuckDB and of ClickHouse differ.

Everything else the pipeline writes is SQL that both engines (and ClickHouse
18.16) run alike: nested subqueries rather than ``WITH``, ``CASE WHEN`` rather
than engine functions (but for a field's position in the request and for a row
per value of a list), and no empty
``IN ()`` list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one engine writes integer division, a cast to a 64-bit integer, the
    position of a value in a list and a row per value of a list."""

    name: str
    int_div_template: str
    int64_template: str
    index_template: str
    each_template: str

    def int_div(self, dividend: str, divisor: str | int) -> str:
        """Integer division rounding down (both operands are non-negative where used)."""
        return self.int_div_template.format(a=dividend, b=divisor)

    def int64(self, expression: str) -> str:
        """`expression` as a signed 64-bit integer (sums of DuckDB are 128-bit)."""
        return self.int64_template.format(x=expression)

    def index_in(self, values: list[int], expression: str) -> str:
        """The 0-based index of `expression` in `values` (which hold it).

        An engine's list function parses and binds faster than a ``CASE`` of
        one branch per value, which a small answer would notice.
        """
        listed = ", ".join(str(int(v)) for v in values)
        return self.index_template.format(values=listed, x=expression)

    def each_of(self, values: list[int]) -> str:
        """A select item that makes one row of each of `values` from every row it is on."""
        listed = ", ".join(str(int(v)) for v in values)
        return self.each_template.format(values=listed)


DUCKDB = Dialect("duckdb", "({a}) // ({b})", "({x})::BIGINT",
                 "list_position([{values}], {x}) - 1", "unnest([{values}])")
CLICKHOUSE = Dialect("clickhouse", "intDiv({a}, {b})", "toInt64({x})",
                     "toInt64(indexOf([{values}], {x})) - 1", "arrayJoin([{values}])")
