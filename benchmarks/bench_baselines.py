"""Baselines of the benchmark, each run as a subprocess of `run.py`.

    python benchmarks/bench_baselines.py read-json DB FILE
    python benchmarks/bench_baselines.py prepare DB
    python benchmarks/bench_baselines.py duckdb-query DB --source raw --dims user \
        --range 20250203:20250302 ...
    python benchmarks/bench_baselines.py pandas-query DB --dims user --range ... --out ANSWER
    python benchmarks/bench_baselines.py render STORE --range ... --out ANSWER

* ``read-json``: DuckDB's own ``read_json`` of an NDJSON file into a table ``t`` of a
  fresh database file (the floor of an import: parse and store, nothing else).
* ``prepare``: ``t`` -> ``ev``, the events normalised (one row per event, timestamps
  as epoch seconds, the sub-type member in one column), once, untimed by the caller:
  the raw events without re-parsing JSON timestamps on every query, the strongest
  reasonable form of them.
* ``duckdb-query``: the statistics answer computed by straightforward SQL over the
  raw events (``--source raw``: the read_json table ``t`` itself, timestamps parsed
  as the query reads them; ``--source ev``: the normalised copy): every KPI span is
  cut into per-hour pieces (``generate_series`` + ``unnest``), each piece mapped to
  its local date and hour with ``timezone(zone, ...)``, then grouped by the
  requested dimensions and field. Hourly UTC pieces are exact for zones whose
  offsets are whole hours (Budapest).
* ``pandas-query``: the same computation with pandas/numpy over ``ev`` loaded into
  a DataFrame (the load is timed separately and not part of the query time).
* ``render``: the usual way to serve the grouped numbers: one SQL over the store's
  sums groups them by project, user, local date and hour (from the store's local-hour
  sums when it has them, i.e. the rows ours reads; else from its quarter-hour sums),
  the rows are fetched into Python, turned into the API's records and serialised by
  orjson. Only the rendering differs from ours.

Every query command runs ``--range`` (repeatable) one after another, prints
``{"seconds": [...], ...}`` as its last line, and writes the answer body of the
first range to ``--out`` (the API's JSON) so that the caller can compare it with ours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import orjson

from ccstats.catalog import CATALOG, Kpi

TIMEZONE = "Europe/Budapest"
EPOCH = dt.date(1970, 1, 1)
DAY = 86_400
HOUR = 3_600
#: Events whose span touches [first local midnight - margin, last + margin) are read.
MARGIN_S = 2 * DAY

READ_JSON = "CREATE TABLE t AS SELECT * FROM read_json(?, format='newline_delimited')"
#: The same, with the columns taken from every line rather than from a sample: for a
#: file whose first lines lack members of later ones (the queue calls' ``queueId``).
READ_JSON_ALL = ("CREATE TABLE t AS SELECT * FROM read_json(?, format='newline_delimited', "
                 "sample_size=-1)")

#: Epoch seconds (floored) of a JSON timestamp: a number, or an ISO-8601 string with offset.
TS_MACRO = """
CREATE OR REPLACE TEMP MACRO ts(x) AS
    CASE WHEN x IS NULL THEN NULL
         WHEN json_type(x) = 'VARCHAR'
             THEN floor(epoch(CAST(json_extract_string(x, '$') AS TIMESTAMPTZ)))::BIGINT
         ELSE floor(CAST(x AS DOUBLE))::BIGINT END
"""

#: The events of the read_json table ``t`` in normalised form, computed as they are read.
NORMALISED = """
SELECT id AS event_id, type, coalesce(state, direction, status, action) AS subtype,
       projectId AS project_id, userId AS user_id,
       ts(coalesce("start", "time")) AS t_start, ts(answer) AS t_answer,
       ts(coalesce("end", "time")) AS t_end
FROM t
"""

#: Where a query baseline reads its events: the raw read_json table, or ``ev``.
SOURCES = {"raw": f"({NORMALISED})", "ev": "ev"}

#: Dimension -> (column of the grouped rows, key in the JSON record).
DIMENSIONS = {
    "date": ("day", "date"),
    "time": ("hhmm", "time"),
    "project": ("project_id", "projectId"),
    "user": ("user_id", "userId"),
}
KEY_ORDER = ("date", "time", "project", "user")


def _rules() -> str:
    def text(value: str | None) -> str:
        return "NULL::VARCHAR" if value is None else f"'{value}'"

    rows = ", ".join(
        f"({k.field_id}, {position}, {text(k.event_type)}, {text(k.subtype)}, "
        f"{'NULL::BOOLEAN' if k.answered is None else str(k.answered).upper()}, "
        f"'{k.span}', {str(k.has_count).upper()}, {str(k.has_sum).upper()})"
        for position, k in enumerate(CATALOG)
    )
    return (
        f"(VALUES {rows}) AS r(field_id, position, type, subtype, answered, span, has_count, "
        "has_sum)"
    )


def window(first: dt.date, last: dt.date) -> tuple[int, int]:
    """Epoch seconds surely covering the local dates first..last of any zone."""
    lo = (first - dt.date(1970, 1, 1)).days * DAY - MARGIN_S
    hi = (last - dt.date(1970, 1, 1)).days * DAY + DAY + MARGIN_S
    return lo, hi


def query_sql(dims: Sequence[str], first: dt.date, last: dt.date, source: str = "ev") -> str:
    """Grouped rows ``(<dimension columns>, field_id, cnt, secs)`` from the raw events.

    ``source``: ``raw`` reads the read_json table ``t`` (timestamps parsed as it goes),
    ``ev`` the normalised copy.
    """
    lo, hi = window(first, last)
    columns = ", ".join(DIMENSIONS[d][0] for d in dims)
    # MATERIALIZED: without it DuckDB 2.0.0 fails on larger inputs with "INTERNAL Error:
    # dict-surviving cache: global dictionary column 1 changed identity" (its new
    # dictionary-caching operator after the join; duckdb/duckdb#23360, #23447).
    return f"""
    WITH spans AS MATERIALIZED (
        SELECT e.project_id, e.user_id, r.field_id, r.position, r.has_count, r.has_sum,
               CASE WHEN r.span = 'answer_end' THEN e.t_answer ELSE e.t_start END AS a,
               CASE WHEN r.has_sum THEN e.t_end
                    WHEN r.span = 'answer_end' THEN e.t_answer ELSE e.t_start END AS b
        FROM {SOURCES[source]} AS e JOIN {_rules()}
          ON e.type = r.type
         AND (r.subtype IS NULL OR e.subtype = r.subtype)
         AND (r.answered IS NULL OR (e.t_answer IS NOT NULL) = r.answered)
        WHERE e.t_end >= {lo} AND e.t_start < {hi}
    ), pieces AS (
        SELECT *, unnest(generate_series(a // {HOUR}, greatest((b - 1) // {HOUR}, a // {HOUR})))
                  AS h
        FROM spans
    ), located AS (
        SELECT project_id, user_id, field_id, position,
               CASE WHEN has_count AND h = a // {HOUR} THEN 1 ELSE 0 END AS cnt,
               least(b, (h + 1) * {HOUR}) - greatest(a, h * {HOUR}) AS secs,
               timezone('{TIMEZONE}', to_timestamp(h * {HOUR})) AS local_time
        FROM pieces
    ), bucketed AS (
        SELECT *, local_time::DATE AS day, hour(local_time) * 100 AS hhmm FROM located
    )
    SELECT {columns}, field_id, sum(cnt) AS cnt, sum(secs) AS secs
    FROM bucketed
    WHERE day BETWEEN DATE '{first}' AND DATE '{last}'
    GROUP BY {columns}, field_id, position
    ORDER BY {columns}, position
    """


def render(dims: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """The API's JSON body from grouped rows ordered by dims, then field position."""
    kpis = {k.field_id: k for k in CATALOG}
    width = len(dims)
    keyed = [(DIMENSIONS[d][1], dims.index(d)) for d in KEY_ORDER if d in dims]
    records: list[dict[str, object]] = []
    for key, group in itertools.groupby(rows, key=lambda row: tuple(row[:width])):
        record: dict[str, object] = {}
        for name, index in keyed:
            value = key[index]
            if name == "date":  # a date, or a day number (days since 1970-01-01)
                day = value if isinstance(value, dt.date) else EPOCH + dt.timedelta(days=value)
                value = day.isoformat()
            record[name] = value
        data = []
        for row in group:
            kpi: Kpi = kpis[int(row[width])]
            data.append({
                "field": kpi.name,
                "count": int(row[width + 1]) if kpi.has_count else None,
                "sum": int(row[width + 2]) if kpi.has_sum else None,
            })
        record["data"] = data
        record["level"] = width - 1
        records.append(record)
    return orjson.dumps({"response": records, "errors": []})


def _ranges(texts: Sequence[str]) -> list[tuple[dt.date, dt.date]]:
    out = []
    for text in texts:
        first, last = text.split(":")
        out.append((dt.datetime.strptime(first, "%Y%m%d").date(),
                    dt.datetime.strptime(last, "%Y%m%d").date()))
    return out


def duckdb_query(db: str, dims: list[str], ranges: list[tuple[dt.date, dt.date]],
                 out: Path | None, source: str) -> dict[str, object]:
    con = duckdb.connect(db, read_only=True)
    con.execute(TS_MACRO)
    seconds, sizes = [], []
    for i, (first, last) in enumerate(ranges):
        began = time.perf_counter()
        rows = con.execute(query_sql(dims, first, last, source)).fetchall()
        body = render(dims, rows)
        seconds.append(time.perf_counter() - began)
        sizes.append(len(body))
        if i == 0 and out is not None:
            out.write_bytes(body)
    con.close()
    return {"seconds": seconds, "bytes": sizes}


def pandas_query(db: str, dims: list[str], ranges: list[tuple[dt.date, dt.date]],
                 out: Path | None) -> dict[str, object]:
    try:
        import numpy as np
        import pandas as pd  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        return {"skipped": "pandas is not installed"}
    began = time.perf_counter()
    con = duckdb.connect(db, read_only=True)
    ev: Any = con.execute("SELECT * FROM ev").df()
    con.close()
    load_s = time.perf_counter() - began
    zone = TIMEZONE
    seconds, sizes = [], []
    for i, (first, last) in enumerate(ranges):
        began = time.perf_counter()
        lo, hi = window(first, last)
        sel = ev[(ev["t_end"] >= lo) & (ev["t_start"] < hi)]
        answered = sel["t_answer"].notna()
        parts = []
        for position, kpi in enumerate(CATALOG):
            mask = sel["type"] == kpi.event_type
            if kpi.subtype is not None:
                mask &= sel["subtype"] == kpi.subtype
            if kpi.answered is not None:
                mask &= answered == kpi.answered
            chosen = sel[mask]
            start = chosen["t_answer" if kpi.span == "answer_end" else "t_start"]
            a = start.astype("int64").to_numpy()
            b = chosen["t_end"].to_numpy() if kpi.has_sum else a
            parts.append(pd.DataFrame({
                "project_id": chosen["project_id"].to_numpy(),
                "user_id": chosen["user_id"].to_numpy(),
                "field_id": kpi.field_id,
                "position": position,
                "has_count": kpi.has_count,
                "a": a,
                "b": b,
            }))
        spans = pd.concat(parts, ignore_index=True)
        first_h = spans["a"] // HOUR
        last_h = np.maximum((spans["b"] - 1) // HOUR, first_h)
        pieces = spans.loc[spans.index.repeat(last_h - first_h + 1)]
        h = pieces["a"] // HOUR + pieces.groupby(level=0).cumcount()
        pieces = pieces.assign(
            cnt=(pieces["has_count"] & (h == pieces["a"] // HOUR)).astype("int64"),
            secs=np.minimum(pieces["b"], (h + 1) * HOUR) - np.maximum(pieces["a"], h * HOUR),
            local=pd.to_datetime(h * HOUR, unit="s", utc=True).dt.tz_convert(zone)
            .dt.tz_localize(None),
        )
        pieces["day"] = pieces["local"].dt.normalize()
        pieces["hhmm"] = pieces["local"].dt.hour * 100
        pieces = pieces[(pieces["day"] >= pd.Timestamp(first))
                        & (pieces["day"] <= pd.Timestamp(last))]
        keys = [DIMENSIONS[d][0] for d in dims]
        grouped = (pieces.groupby([*keys, "position", "field_id"], sort=True)
                   .agg(cnt=("cnt", "sum"), secs=("secs", "sum")).reset_index())
        if "date" in dims:
            grouped["day"] = grouped["day"].dt.date
        rows = list(grouped[[*keys, "field_id", "cnt", "secs"]].itertuples(index=False))
        body = render(dims, rows)
        seconds.append(time.perf_counter() - began)
        sizes.append(len(body))
        if i == 0 and out is not None:
            out.write_bytes(body)
    return {"seconds": seconds, "bytes": sizes, "load_s": load_s, "events": len(ev)}


def _offset_case(first_qh: int, last_qh: int) -> str:
    """SQL: the zone's UTC offset (seconds) at UTC quarter-hour ``qh``, as a CASE over qh."""
    zone = ZoneInfo(TIMEZONE)
    segments: list[tuple[int, int]] = []
    for qh in range(first_qh, last_qh + 1):
        delta = dt.datetime.fromtimestamp(qh * 900, zone).utcoffset()
        offset = int(delta.total_seconds()) if delta else 0
        if not segments or segments[-1][1] != offset:
            segments.append((qh, offset))
    if len(segments) == 1:
        return str(segments[0][1])
    cases = " ".join(f"WHEN qh < {nxt[0]} THEN {seg[1]}"
                     for seg, nxt in itertools.pairwise(segments))
    return f"CASE {cases} ELSE {segments[-1][1]} END"


def render_sql(con: duckdb.DuckDBPyConnection, customer_id: int, first: dt.date,
               last: dt.date) -> str:
    """Grouped rows (project, user, local day number, hhmm, field, count, sum) of the store.

    Reads the store's local-hour sums when it has them (the rows ours reads for this
    request), else its UTC quarter-hour sums mapped to local time by offset segments.
    """
    epoch = dt.date(1970, 1, 1)
    first_day, last_day = (first - epoch).days, (last - epoch).days
    tables = {row[0] for row in con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}
    if "sums_hour" in tables:
        source = f"""SELECT project_id, user_id, field_id, cnt, secs, hits, day,
                            hour::INTEGER * 100 AS hhmm
                     FROM sums_hour
                     WHERE customer_id = {customer_id} AND day BETWEEN {first_day} AND {last_day}"""
    else:
        lo, hi = window(first, last)
        local = f"qh::BIGINT * 900 + {_offset_case(lo // 900, hi // 900)}"
        source = f"""SELECT project_id, user_id, field_id, cnt, secs, hits,
                            ({local}) // {DAY} AS day, ({local}) % {DAY} // {HOUR} * 100 AS hhmm
                     FROM sums
                     WHERE customer_id = {customer_id} AND qh BETWEEN {lo // 900} AND {hi // 900}"""
    return f"""
    SELECT project_id, user_id, day, hhmm, field_id, sum(cnt) AS cnt, sum(secs) AS secs
    FROM ({source})
    WHERE day BETWEEN {first_day} AND {last_day}
    GROUP BY project_id, user_id, day, hhmm, field_id
    HAVING sum(hits) > 0
    ORDER BY project_id, user_id, day, hhmm, field_id
    """


def render_store(db: str, customer: str, ranges: list[tuple[dt.date, dt.date]],
                 out: Path | None) -> dict[str, object]:
    """Grouped numbers of the store -> Python rows -> orjson; the dims project,user,date,time."""
    con = duckdb.connect(db, read_only=True)
    found = con.execute("SELECT customer_id FROM customers WHERE name = ?", [customer]).fetchone()
    if found is None:
        raise SystemExit(f"no customer {customer!r} in {db}")
    if [k.field_id for k in CATALOG] != sorted(k.field_id for k in CATALOG):
        raise SystemExit("field ids are not in catalog order; ORDER BY field_id would be wrong")
    dims = ["project", "user", "date", "time"]
    seconds, query_seconds, sizes, digests = [], [], [], []
    for i, (first, last) in enumerate(ranges):
        began = time.perf_counter()
        rows = con.execute(render_sql(con, int(found[0]), first, last)).fetchall()
        query_seconds.append(time.perf_counter() - began)
        body = render(dims, rows)
        seconds.append(time.perf_counter() - began)
        sizes.append(len(body))
        digests.append(hashlib.sha256(body).hexdigest())
        if i == 0 and out is not None:
            out.write_bytes(body)
    con.close()
    return {"seconds": seconds, "query_seconds": query_seconds, "bytes": sizes,
            "sha256": digests}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    rj = sub.add_parser("read-json")
    rj.add_argument("db")
    rj.add_argument("file")
    rj.add_argument("--sample-all", action="store_true",
                    help="take the columns from every line (slower; untimed uses)")
    prep = sub.add_parser("prepare")
    prep.add_argument("db")
    for name in ("duckdb-query", "pandas-query", "render"):
        q = sub.add_parser(name)
        q.add_argument("db")
        q.add_argument("--dims", default="user")
        q.add_argument("--source", choices=sorted(SOURCES), default="ev",
                       help="duckdb-query: the read_json table t (raw) or the normalised ev")
        q.add_argument("--range", action="append", required=True, help="yyyymmdd:yyyymmdd")
        q.add_argument("--out", type=Path)
        q.add_argument("--customer", default="bench")
    args = parser.parse_args(argv)
    result: dict[str, object]
    if args.command == "read-json":
        con = duckdb.connect(args.db)
        con.execute(READ_JSON_ALL if args.sample_all else READ_JSON, [args.file])
        row = con.execute("SELECT count(*) FROM t").fetchone()
        con.close()
        result = {"rows": row[0] if row else 0}
    elif args.command == "prepare":
        began = time.perf_counter()
        con = duckdb.connect(args.db)
        con.execute(TS_MACRO)
        con.execute(f"CREATE OR REPLACE TABLE ev AS {NORMALISED}")
        row = con.execute("SELECT count(*) FROM ev").fetchone()
        con.close()
        result = {"rows": row[0] if row else 0, "seconds": time.perf_counter() - began}
    else:
        ranges = _ranges(args.range)
        dims = [d.strip() for d in args.dims.split(",")]
        if args.command == "duckdb-query":
            result = duckdb_query(args.db, dims, ranges, args.out, args.source)
        elif args.command == "pandas-query":
            result = pandas_query(args.db, dims, ranges, args.out)
        else:
            result = render_store(args.db, args.customer, ranges, args.out)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
