"""The demo customer of `ccstats demo` / `make run`: realistic, named, and served."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson

from ccstats import demo_customer
from ccstats.model import Status, UserKind
from ccstats.service import Service

TODAY = dt.date(2026, 11, 27)


def test_demo_range_is_six_whole_weeks_before_this_one() -> None:
    span = demo_customer.demo_range(TODAY)
    assert span.first == dt.date(2026, 10, 12)
    assert span.first.weekday() == 0
    assert span.last == dt.date(2026, 11, 22)
    assert (span.last - span.first).days + 1 == 42


def test_prepare_fills_a_named_customer_once(tmp_path: Path) -> None:
    service = Service.open(str(tmp_path / "demo.duckdb"))
    try:
        span, created = demo_customer.prepare(service, TODAY)
        assert created
        customer = service.customer(demo_customer.NAME)
        assert customer.timezone == demo_customer.TIMEZONE
        events = service.event_count(demo_customer.NAME)
        assert events > 36 * 25 * 80

        projects = service.projects(demo_customer.NAME)
        assert [p.name for p in projects] == list(demo_customer.PROJECT_NAMES)
        inactive = [p.project_id for p in projects if p.status is Status.INACTIVE]
        assert inactive == [demo_customer.INACTIVE_PROJECT]
        users = service.users(demo_customer.NAME)
        assert sum(u.kind is UserKind.SYSTEM for u in users) == 2
        assert users[0].name == "Anna"

        answer = orjson.loads(service.query(demo_customer.NAME, {
            "from": span.first.strftime("%Y%m%d"), "to": span.last.strftime("%Y%m%d"),
            "dimensions": "project"}))
        shown = [record["projectId"] for record in answer["response"]]
        assert shown == [1, 2, 3, 4, 6]
        fields = {d["field"] for record in answer["response"] for d in record["data"]}
        assert {"callInAnswered", "callOutReached", "dispositionStatusRecall", "emailReceived",
                "ticketClosed", "chatHandled", "userstateBreak"} <= fields

        again_span, again = demo_customer.prepare(service, TODAY)
        assert not again and again_span == span
        assert service.event_count(demo_customer.NAME) == events
    finally:
        service.close()


def test_ccstats_demo_serves_the_printed_examples(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(Path(sys.executable).parent / "ccstats"), "demo", "--port", str(port),
               "--db", str(tmp_path / "demo.duckdb")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert process.stdout is not None
        printed: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stdout.readline().decode()
            printed.append(line)
            if "Uvicorn running" in line or process.poll() is not None:
                break
        text = "".join(printed)
        examples = re.findall(r"curl -u (\S+):(\S+) '(\S+)'", text)
        assert len(examples) == 3, text
        for user, key, url in examples:
            host = url.split("/")[2]
            local = url.replace(host, f"127.0.0.1:{port}")
            answer = httpx.get(local, auth=(user, key), headers={"Host": host}, timeout=30)
            assert answer.status_code == 200, answer.text
            assert len(answer.content) > 200
    finally:
        process.terminate()
        process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


CCSTATS = Path(sys.executable).parent / "ccstats"
#: Commands run in another folder import the code under test.
ELSEWHERE = {"PYTHONPATH": str(Path(demo_customer.__file__).parents[1])}


def _ccstats(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CCSTATS), *args], cwd=cwd, env={**os.environ, **ELSEWHERE},
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_the_demo_keeps_its_own_database_whatever_ccstats_db_says(tmp_path: Path) -> None:
    env = {**os.environ, **ELSEWHERE, "CCSTATS_DB": str(tmp_path / "real.duckdb")}
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(CCSTATS), "demo", "--port", str(_free_port())],
                                   cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while "Uvicorn running" not in log.read_text(errors="replace"):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=60)
    assert sorted(path.name for path in tmp_path.glob("*.duckdb*")) == ["ccstats-demo.duckdb"]
    listed = _ccstats("customer", "list", "--db", "ccstats-demo.duckdb", cwd=tmp_path)
    assert listed.stdout.splitlines() == [f"demo\t{demo_customer.TIMEZONE}\tany\tdefault"]


def test_the_demo_refuses_a_database_with_other_customers_and_writes_nothing(
        tmp_path: Path) -> None:
    db = tmp_path / "real.duckdb"
    made = _ccstats("customer", "create", "acme", "--password", "pw", "--db", str(db),
                    cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    before = db.read_bytes()
    refused = _ccstats("demo", "--db", str(db), "--port", str(_free_port()), cwd=tmp_path,
                       timeout=60)
    assert refused.returncode == 2
    assert "real.duckdb holds other customers (acme)" in refused.stderr
    assert "needs a database of its own (by default ccstats-demo.duckdb)" in refused.stderr
    given_first = _ccstats("--db", str(db), "demo", "--port", str(_free_port()), cwd=tmp_path,
                           timeout=60)
    assert given_first.returncode == 2 and "holds other customers" in given_first.stderr
    assert db.read_bytes() == before
    assert sorted(path.name for path in tmp_path.glob("*.duckdb*")) == ["real.duckdb"]
