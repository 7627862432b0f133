"""The few places where the SQL of DuckDB and of ClickHouse differ.

Everything else the pipeline writes is SQL that both engines (and ClickHouse
18.16) run alike: nested subqueries rather than ``WITH``, ``CASE WHEN`` rather
than engine functions, and no empty ``IN ()`` list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one engine writes integer division and a cast to a 64-bit integer."""

    name: str
    int_div_template: str
    int64_template: str

    def int_div(self, dividend: str, divisor: str | int) -> str:
        """Integer division rounding down (both operands are non-negative where used)."""
        return self.int_div_template.format(a=dividend, b=divisor)

    def int64(self, expression: str) -> str:
        """`expression` as a signed 64-bit integer (sums of DuckDB are 128-bit)."""
        return self.int64_template.format(x=expression)


DUCKDB = Dialect("duckdb", "({a}) // ({b})", "({x})::BIGINT")
CLICKHOUSE = Dialect("clickhouse", "intDiv({a}, {b})", "toInt64({x})")
