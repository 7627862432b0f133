"""The metrics of the benchmark: stable ids, in the order of the table, and their targets.

A metric's id names its figures in ``results.json`` (rows and further stores'
columns) and its row of the tables; its label (the first column) may carry the
sizes of the run, the id does not change with them.
"""

from __future__ import annotations

#: Every metric: id -> what it measures. The tables list their rows in this order.
METRICS: dict[str, str] = {
    "import.S.rate": "1: `ccstats import` of S into an empty store, events per second",
    "import.S.time": "1: the same imports' wall and CPU time against DuckDB read_json",
    "import.more.rate": "2: `ccstats import` of new and replacing events into the S store",
    "post.rate": "3: POST /v2/events of the new events into the S store",
    "post.empty": "3: the same POSTs into an empty store (diagnostic)",
    "query.4a.p50": "4a: a month by user, median latency",
    "query.4a.p99": "4a: a month by user, 99th percentile",
    "query.4a.raw": "4a against DuckDB SQL over the raw events (read_json table)",
    "query.4a.normalised": "4a against DuckDB SQL over the normalised events",
    "query.4a.pandas": "4a against pandas over the normalised events",
    "query.4b.p50": "4b: about 90 days by project and date, median latency",
    "query.4c.p50": "4c: one user's day by quarter-hour, median latency",
    "query.4d.throughput": "4d: a month by project, user, date and hour, MB/s",
    "query.4d.ttfb": "4d: time to the first byte",
    "query.4d.orjson": "4d: the whole answer against Python + orjson",
    "query.4e.size": "4e: a year of hourly records, answer size",
    "query.4e.rss": "4e: the server's RSS growth while streaming it",
    "query.4f.throughput": "4f: concurrent clients, mixed month queries, requests/s",
    "query.4f.latency": "4f: their 99th percentile (median) latency",
    "query.4f.errors": "4f: failed requests",
    "import.queues.rate": "5: `ccstats import` of S with queue calls against S without them",
    "query.inbound.p50": "5: a month of inbound statistics by queue and date, median latency",
    "query.kpis.p50": "5: a month of every userbased KPI by user, median latency",
    "realtime.onlineusers.p50": "6: GET /v2/onlineusers, 1,000 agents online, median latency",
    "realtime.queues.p50": "6: GET /v2/realtime/queues, 200 callers waiting, median latency",
    "realtime.stream.p99": "6: from POST /v2/events answering to a stream's snapshot, p99",
    "realtime.streams.load": "6: statistics p99 with 200 open streams against without",
    "ops.import.rate": "7a: `ccstats import --server` of S into an empty store against --db",
    "ops.backup.time": "7b: `ccstats backup --server` of the S store against cp + fsync",
    "ops.backup.post_wait": "7b: a POST /v2/events batch while a backup runs against without",
    "ops.prune.time": "7c: `ccstats prune --server` of S's first 30 days against DuckDB DELETE",
    "ops.erase.time": "7c: `ccstats user erase --db` (file rewritten) against cp + fsync",
    "ops.erase.query_wait": "7c: the longest statistics request during `user erase --server` "
                            "against the same request alone",
    "answers.identical": "the baselines' answers byte for byte equal to ours",
    "answers.queues.identical": "5: the queue baselines' answers byte for byte equal to ours",
    "answers.realtime.identical": "6: the real-time baselines' answers equal to ours",
    "answers.ops.identical": "7: import --server stores what --db does; prune, erase counts",
    "code.unchanged": "the code under test did not change during the run",
}

# Targets.
IMPORT_RATE = 500_000
IMPORT_VS_READ_JSON = 4.0
IMPORT_MORE_RATE = 300_000
POST_RATE = 150_000
MONTH_P50_MS, MONTH_P99_MS, MONTH_VS_BASELINE = 50.0, 150.0, 20.0
RANGE_P50_MS = 100.0
DAY_P50_MS = 10.0
DOWNLOAD_MB_S, DOWNLOAD_TTFB_MS, DOWNLOAD_VS_ORJSON = 100.0, 300.0, 4.0
YEAR_MIN_MB, YEAR_RSS_MB = 500.0, 200.0
LOAD_RPS, LOAD_P99_MS = 60.0, 500.0
#: The import's rate with queue calls, at least this share of its rate without them.
IMPORT_QUEUES_VS_S = 0.85
INBOUND_P50_MS, KPIS_P50_MS = 50.0, 50.0
ONLINE_USERS_P50_MS = 20.0
#: Seconds from a write to the snapshot on a stream, 99th percentile.
STREAM_P99_S = 1.0
#: The statistics' p99 with the open streams, at most this many times that without.
STREAMS_LOAD_P99_RATIO = 1.2
#: The rate of `import --server`, at least this share of that of `import --db`.
OPS_IMPORT_VS_DB = 0.8
#: A backup through the server (checkpoint, copy, check, fsync) within this many times
#: the time of `cp` + fsync of the same file.
BACKUP_VS_CP = 2.0
#: A prune through the server within this many times DuckDB's DELETE of the same events.
PRUNE_VS_DELETE = 2.0
