"""`ccstats query --resource` and `ccstats queue`, run as a user would: the bytes of
the API's answer, and the queues' metadata."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from ccstats.model import Queue, Status
from ccstats.query import Endpoint
from ccstats.service import Service
from conftest import call, ndjson, userstate
from workbooks import assert_same_answer

CCSTATS = Path(sys.executable).parent / "ccstats"


def ccstats(*args: str, db: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(CCSTATS), *args, "--db", str(db)], capture_output=True,
                          timeout=120, check=False)


def test_every_resource_prints_the_api_bytes(tmp_path: Path) -> None:
    db = tmp_path / "q.duckdb"
    service = Service.open(str(db))
    service.create_customer("acme", timezone="Europe/Budapest", password="secret")
    service.ingest("acme", ndjson(
        call("c1", "in", "2024-05-01T08:00:00Z", "2024-05-01T08:00:05Z", "2024-05-01T08:01:00Z"),
        userstate("s1", "afterwork", "2024-05-01T08:01:00Z", "2024-05-01T08:01:30Z")))
    service.create_queue("acme", Queue(4, "Sales", Status.ACTIVE))
    asked = {"from": "20240501", "to": "20240501", "dimensions": "user", "of": "csv"}
    expected = {
        Endpoint.USERBASED: service.query("acme", asked),
        Endpoint.KPIS: service.query("acme", {**asked, "kpis": "aht,avgAfterwork"},
                                     Endpoint.KPIS),
        Endpoint.INBOUND: service.query("acme", {**asked, "dimensions": "queue",
                                                 "manual_sla": "20"}, Endpoint.INBOUND),
    }
    service.close()
    assert b"aht,85.0,85,1" in expected[Endpoint.KPIS]  # talk 55 s + after-call work 30 s
    options = {
        Endpoint.USERBASED: ["--dimensions", "user"],
        Endpoint.KPIS: ["--dimensions", "user", "--kpis", "aht,avgAfterwork"],
        Endpoint.INBOUND: ["--dimensions", "queue", "--manual-sla", "20"],
    }
    for endpoint, extra in options.items():
        printed = ccstats("query", "--customer", "acme", "--resource", endpoint,
                          "--from", "20240501", "--to", "20240501", "--of", "csv", *extra,
                          db=db)
        assert printed.returncode == 0, printed.stderr
        assert printed.stdout == expected[endpoint]
    refused = ccstats("query", "--customer", "acme", "--resource", "inbound", "--from",
                      "20240501", "--to", "20240501", "--dimensions", "queue",
                      "--manual-sla", "0", db=db)
    assert refused.returncode == 2
    assert b'"param":"manual_sla"' in refused.stderr


def test_queues_are_listed_and_their_status_set(tmp_path: Path) -> None:
    db = tmp_path / "q.duckdb"
    service = Service.open(str(db))
    service.create_customer("acme", password="secret")
    service.create_queue("acme", Queue(4, "Sales", Status.ACTIVE))
    service.close()
    changed = ccstats("queue", "set-status", "4", "inactive", "--customer", "acme", db=db)
    assert changed.stdout == b"queue 4 (Sales) is now inactive\n", changed.stderr
    listed = ccstats("queue", "list", "--customer", "acme", db=db)
    assert listed.stdout == b"4\tinactive\tSales\n"
    unknown = ccstats("queue", "set-status", "5", "active", "--customer", "acme", db=db)
    assert unknown.returncode != 0


def test_a_workbook_goes_to_a_file_never_to_a_terminal(tmp_path: Path) -> None:
    db = tmp_path / "q.duckdb"
    service = Service.open(str(db))
    service.create_customer("acme", password="secret")
    service.ingest("acme", ndjson(
        call("c1", "in", "2024-05-01T08:00:00Z", "2024-05-01T08:00:05Z", "2024-05-01T08:01:00Z"),
        userstate("s1", "afterwork", "2024-05-01T08:01:00Z", "2024-05-01T08:01:30Z")))
    asked = {"from": "20240501", "to": "20240501", "dimensions": "user,time", "kpis": "aht"}
    csv_answer = service.query("acme", {**asked, "of": "csv"}, Endpoint.KPIS)
    service.close()
    options = ["query", "--customer", "acme", "--resource", "kpis", "--from", "20240501",
               "--to", "20240501", "--dimensions", "user,time", "--kpis", "aht", "--of", "xlsx"]
    printed = ccstats(*options, db=db)
    assert printed.returncode == 0, printed.stderr
    assert assert_same_answer(printed.stdout, csv_answer) == 1

    terminal, other_end = pty.openpty()
    try:
        refused = subprocess.run([str(CCSTATS), *options, "--db", str(db)], stdout=other_end,
                                 stderr=subprocess.PIPE, timeout=120, check=False)
    finally:
        os.close(terminal)
        os.close(other_end)
    assert refused.returncode == 2
    assert b"redirect the output to a file" in refused.stderr
