"""The benchmark's figures: one row per metric, found by the metric's stable id.

``results.json`` holds them as ``rows`` (id -> label, our figure, the baseline's,
their ratio, the target and whether it is met), ``backends`` (a further store's
name -> id -> our figure on that store) and ``measurements`` (the timings behind
the rows). The console table and the README's Markdown table are built from the
same cells, in the order of `bench_metrics.METRICS`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from bench_console import console
from bench_metrics import METRICS

MB = 1e6


@dataclass(frozen=True)
class Row:
    id: str
    metric: str
    """The label: what was measured, with the sizes of this run."""
    ours: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None

    def __post_init__(self) -> None:
        if self.id not in METRICS:
            raise ValueError(f"unknown metric id {self.id!r}")


@dataclass
class Results:
    rows: dict[str, Row] = field(default_factory=dict)
    #: Further stores (`--backend`): name -> metric id -> our figure on that store.
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The measurements behind the rows, by step.
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        self.rows[row.id] = row
        mark = "" if row.met is None else ("met" if row.met else "NOT met")
        console.print(f"  -> {row.metric}: {row.ours}"
                      + (f" (baseline {row.baseline})" if row.baseline else "")
                      + (f" {mark}" if mark else ""))

    def ordered(self) -> list[Row]:
        return [self.rows[name] for name in METRICS if name in self.rows]

    def cells(self) -> tuple[list[str], list[list[str]]]:
        """The table: its header and its rows of text (``met?`` is yes, no or empty)."""
        backends = list(self.columns)
        header = ["metric", "ours", *backends, "baseline", "ratio", "target", "met?"]
        body = [
            [row.metric, row.ours, *(self.columns[name].get(row.id, "") for name in backends),
             row.baseline, row.ratio, row.target,
             "" if row.met is None else ("yes" if row.met else "no")]
            for row in self.ordered()
        ]
        return header, body

    def to_json(self) -> dict[str, Any]:
        rows = {row.id: {k: v for k, v in dataclasses.asdict(row).items() if k != "id"}
                for row in self.ordered()}
        return {"rows": rows, "backends": self.columns, "measurements": self.data}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Results:
        rows = {name: Row(name, **row) for name, row in document["rows"].items()}
        return cls(rows, document.get("backends", {}), document.get("measurements", {}))


def markdown(results: Results) -> str:
    """The table as Markdown (as in the README)."""
    header, body = results.cells()
    rule = "|" + "---|" * len(header)
    return "\n".join(["| " + " | ".join(header) + " |", rule,
                      *("| " + " | ".join(cells) + " |" for cells in body)])


def faster(ours_s: float, base_s: float) -> str:
    """The ratio as words: how many times faster or slower ours is."""
    if ours_s <= 0 or base_s <= 0:
        return ""
    if base_s >= ours_s:
        return f"{base_s / ours_s:.1f}x faster"
    return f"{ours_s / base_s:.2f}x slower"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def rate(events: int, seconds: float) -> str:
    return f"{events / seconds:,.0f} ev/s"
