"""Retention on the real server: `serve --prune-every` prunes on its own (a JSON line per
customer, a metric), and `ccstats prune --server` says what `--db` says."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest

from api.conftest import create_customers, start_server, stop
from api.operating import ccstats, write_key_file
from backends import drop_database, new_database

CUSTOMER, PASSWORD, ZONE = "acme", "acme-pass", "Europe/Budapest"
DAY = 86_400


def events() -> list[dict[str, Any]]:
    """One event five days ago, one an hour ago (a retention of two days keeps it)."""
    now = int(time.time())
    return [{"id": f"e{age}", "type": "userstate", "state": "available",
             "start": now - age, "end": now - age + 60, "projectId": 1, "userId": 1}
            for age in (5 * DAY, 3600)]


def ndjson(found: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(event) + b"\n" for event in found)


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, Path]]:
    """A server with the operator routes and customer `CUSTOMER`, pruning every
    ``request.param`` seconds: its URL and its log."""
    db = new_database(tmp_path, "server")
    create_customers(db, [(CUSTOMER, ZONE, PASSWORD)], {})
    key_file = write_key_file(tmp_path)
    log = tmp_path / "server.log"
    process, url = start_server(db, ["--operator-key-file", str(key_file), "--rate-limit",
                                     "0", "--prune-every", str(request.param)], log)
    try:
        yield url, log
    finally:
        stop(process)
        drop_database(db)


def _store(url: str) -> None:
    with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=60) as client:
        answer = client.post("/v2/events", content=ndjson(events()),
                             headers={"Content-Type": "application/x-ndjson"})
        assert answer.status_code == 200, answer.text


def _pruned_total(url: str) -> float:
    for line in httpx.get(f"{url}/metrics", timeout=30).text.splitlines():
        if line.startswith("ccstats_pruned_events_total "):
            return float(line.split()[1])
    raise AssertionError("no ccstats_pruned_events_total")


@pytest.mark.parametrize("served", [1], indirect=True)
def test_the_server_prunes_on_its_schedule(served: tuple[str, Path]) -> None:
    url, log = served
    _store(url)
    assert _pruned_total(url) == 0
    done = ccstats("customer", "set", CUSTOMER, "--keep-days", "2", "--server", url)
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 60
    while _pruned_total(url) < 1:
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    lines = [orjson.loads(line) for line in log.read_text().splitlines()
             if line.startswith("{") and '"prune"' in line]
    removed = [line for line in lines if line["events"]]
    assert [(line["customer"], line["events"]) for line in removed] == [(CUSTOMER, 1)]
    today = datetime.now(ZoneInfo(ZONE)).date()
    kept_from = date.fromisoformat(removed[0]["kept_from"])
    assert kept_from == today - timedelta(days=2) and {"time", "ms"} <= removed[0].keys()
    span = {"from": (today - timedelta(days=7)).strftime("%Y%m%d"),
            "to": today.strftime("%Y%m%d"), "dimensions": "date"}
    with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=60) as client:
        found = client.get("/v2/statistics/userbased", params=span).json()["response"]
    [kept] = found  # the event of an hour ago
    assert kept["date"] >= kept_from.isoformat()
    listed = ccstats("customer", "list", "--server", url).stdout
    assert listed == f"{CUSTOMER}\t{ZONE}\tany\tdefault\t2 days\n"


@pytest.mark.parametrize("served", [0], indirect=True)
def test_prune_with_server_says_what_it_says_with_db(served: tuple[str, Path],
                                                     tmp_path: Path) -> None:
    url, log = served
    db = new_database(tmp_path, "cli")
    try:
        assert ccstats("customer", "create", CUSTOMER, "--timezone", ZONE, "--password",
                       PASSWORD, "--db", db).returncode == 0
        source = tmp_path / "events.ndjson"
        source.write_bytes(ndjson(events()))
        assert ccstats("import", str(source), "--customer", CUSTOMER, "--db", db).returncode == 0
        _store(url)
        said = []
        for args in (("prune",), ("customer", "set", CUSTOMER, "--keep-days", "2"),
                     ("prune", "--customer", "nobody"), ("prune",), ("prune",),
                     ("customer", "set", CUSTOMER, "--keep-days", "forever"),
                     ("prune", "--customer", CUSTOMER)):
            with_db, with_server = ccstats(*args, "--db", db), ccstats(*args, "--server", url)
            assert (with_server.returncode, with_server.stdout, with_server.stderr) == (
                with_db.returncode, with_db.stdout, with_db.stderr), args
            said.append(with_db.stdout)
        assert said[3].endswith(", 1 events removed\n") and said[4].endswith(
            ", 0 events removed\n")
    finally:
        drop_database(db)
    assert _pruned_total(url) == 0  # (--prune-every 0: no schedule)
    assert '"prune"' not in log.read_text()
