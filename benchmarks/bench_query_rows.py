"""The rows of metrics 4a-4d and 4f: ours beside the baselines, against the targets."""

from __future__ import annotations

import statistics
from typing import Any

from bench_metrics import (
    DAY_P50_MS,
    DOWNLOAD_MB_S,
    DOWNLOAD_TTFB_MS,
    DOWNLOAD_VS_ORJSON,
    LOAD_P99_MS,
    LOAD_RPS,
    MONTH_P50_MS,
    MONTH_P99_MS,
    MONTH_VS_BASELINE,
    RANGE_P50_MS,
)
from bench_plan import Plan
from bench_results import MB, Results, Row, faster, ms

Baselines = dict[str, dict[str, Any]]


def query_rows(results: Results, plan: Plan, measured: dict[str, Any], base: Baselines,
               same: dict[str, bool | None]) -> None:
    _month_rows(results, measured["a"]["p50_s"], measured["a"]["p99_s"], base)
    _range_and_day_rows(results, plan, measured["b"]["p50_s"], measured["c"]["p50_s"], base)
    _download_rows(results, measured["d"], base["d"])
    _load_rows(results, plan, measured["f"])
    checked = {k: v for k, v in same.items() if v is not None}
    results.add(Row("answers.identical", "baseline answers byte-identical to ours",
                    ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in checked.items()),
                    "", "", "all equal", all(checked.values())))


def _median_s(base: Baselines, name: str) -> float:
    return float(statistics.median(base[name]["seconds"]))


def _month_rows(results: Results, p50: float, p99: float, base: Baselines) -> None:
    raw, ev = _median_s(base, "a-raw"), _median_s(base, "a-ev")
    slower = f"baseline >= {MONTH_VS_BASELINE:g}x slower"
    results.add(Row("query.4a.p50", "4a month, dims=user: p50", ms(p50), f"DuckDB {ms(raw)}",
                    faster(p50, raw), f"<= {MONTH_P50_MS:g} ms", p50 * 1000 <= MONTH_P50_MS))
    results.add(Row("query.4a.p99", "4a month, dims=user: p99", ms(p99), "", "",
                    f"<= {MONTH_P99_MS:g} ms", p99 * 1000 <= MONTH_P99_MS))
    results.add(Row("query.4a.raw", "4a vs DuckDB SQL over the raw events (read_json table)",
                    ms(p50), ms(raw), faster(p50, raw), slower, raw / p50 >= MONTH_VS_BASELINE))
    results.add(Row("query.4a.normalised",
                    "4a vs DuckDB SQL over normalised events (stronger; info)", ms(p50), ms(ev),
                    faster(p50, ev)))
    label, pandas = "4a vs pandas over normalised events", base["a-pd"]
    if "skipped" in pandas:
        results.add(Row("query.4a.pandas", label, ms(p50), str(pandas["skipped"])))
        return
    pandas_s = _median_s(base, "a-pd")
    results.add(Row("query.4a.pandas", label, ms(p50),
                    f"{ms(pandas_s)} (+{pandas['load_s']:.1f} s load)", faster(p50, pandas_s),
                    slower, pandas_s / p50 >= MONTH_VS_BASELINE))


def _range_and_day_rows(results: Results, plan: Plan, range_p50: float, day_p50: float,
                        base: Baselines) -> None:
    raw, ev = _median_s(base, "b-raw"), _median_s(base, "b-ev")
    results.add(Row("query.4b.p50", f"4b {plan.days} days, dims=project,date: p50",
                    ms(range_p50), f"DuckDB {ms(raw)} (normalised {ms(ev)})",
                    faster(range_p50, raw), f"<= {RANGE_P50_MS:g} ms",
                    range_p50 * 1000 <= RANGE_P50_MS))
    results.add(Row("query.4c.p50", "4c one user, one day, dims=time, 15 min: p50",
                    ms(day_p50), "", "", f"<= {DAY_P50_MS:g} ms", day_p50 * 1000 <= DAY_P50_MS))


def _download_rows(results: Results, d: dict[str, Any], render: dict[str, Any]) -> None:
    base_s = statistics.median(render["seconds"])
    base_mb_s = statistics.median(render["bytes"]) / base_s / MB
    results.add(Row("query.4d.throughput",
                    f"4d month, dims=p,u,d,t ({d['median_bytes'] / MB:,.0f} MB): throughput",
                    f"{d['median_mb_per_s']:,.0f} MB/s", f"orjson {base_mb_s:,.0f} MB/s",
                    faster(d["median_s"], base_s), f">= {DOWNLOAD_MB_S:g} MB/s",
                    d["median_mb_per_s"] >= DOWNLOAD_MB_S))
    results.add(Row("query.4d.ttfb", "4d time to first byte", ms(d["median_ttfb_s"]),
                    f"{ms(base_s)} (all at once)", "", f"<= {DOWNLOAD_TTFB_MS:g} ms",
                    d["median_ttfb_s"] * 1000 <= DOWNLOAD_TTFB_MS))
    fetch_s = statistics.median(render["query_seconds"])
    results.add(Row("query.4d.orjson", "4d whole answer vs Python + orjson", ms(d["median_s"]),
                    f"{ms(base_s)} (SQL + fetch {ms(fetch_s)})", faster(d["median_s"], base_s),
                    f"ours >= {DOWNLOAD_VS_ORJSON:g}x faster",
                    base_s / d["median_s"] >= DOWNLOAD_VS_ORJSON))


def _load_rows(results: Results, plan: Plan, f: dict[str, Any]) -> None:
    results.add(Row("query.4f.throughput",
                    f"4f {plan.load_clients} clients, mixed months: throughput",
                    f"{f['requests_per_s']:,.1f} req/s", "", "", f">= {LOAD_RPS:g} req/s",
                    f["requests_per_s"] >= LOAD_RPS))
    results.add(Row("query.4f.latency", "4f latency p99 (p50)",
                    f"{ms(f['p99_s'])} ({ms(f['p50_s'])})", "", "", f"<= {LOAD_P99_MS:g} ms",
                    f["p99_s"] * 1000 <= LOAD_P99_MS))
    results.add(Row("query.4f.errors", "4f errors", f"{f['errors']} of {f['requests']}", "", "",
                    "= 0", f["errors"] == 0))
