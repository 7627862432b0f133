"""The seed example (shared/fixtures/seed-example) through the real `ccstats` command line.

One module-scoped database is built with ``ccstats customer create`` and ``ccstats
import``; every test then runs ``ccstats query`` as a subprocess, exactly as a user
would, with the options of the seed's request (``request.txt``).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from backends import drop_database, new_database

CCSTATS = Path(sys.executable).parent / "ccstats"
#: The example URL printed in the seed document (wrong: nine-digit from, January dates).
SEED_DOCUMENT_URL = (
    "https://mycc.asp.virtual-call-center.eu/v2/statistics/userbased?from=202000106"
    "&to=20200106&dimensions=project,user,date,time&projects=2&users=17"
)
HEADER = ["date", "time", "projectId", "userId", "level", "field", "count", "sum"]


def run(*args: str, db: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run ``ccstats ARGS --db DB``; with `check`, fail with its stderr unless it exits 0."""
    done = subprocess.run([str(CCSTATS), *args, "--db", db], capture_output=True,
                          timeout=120, check=False)
    if check and done.returncode != 0:
        pytest.fail(f"ccstats {' '.join(args)} exited {done.returncode}: "
                    f"{done.stderr.decode(errors='replace')}")
    return done


def query_options(url: str) -> list[str]:
    """The ``ccstats query`` options of a statistics URL (after the path)."""
    options: list[str] = []
    for name, value in parse_qsl(urlsplit(url.strip()).query, keep_blank_values=True):
        options += [f"--{name.replace('_', '-')}", value]
    return options


def request_options(seed_dir: Path) -> list[str]:
    line = (seed_dir / "request.txt").read_text(encoding="utf-8").strip()
    method, _, url = line.partition(" ")
    assert method == "GET"
    return query_options(url)


def ordered(text: str | bytes) -> Any:
    """A JSON document with every object as its list of (key, value) pairs, in order."""
    return json.loads(text, object_pairs_hook=list)


def expected_rows(records: Sequence[dict[str, Any]]) -> list[list[str]]:
    """The csv/tab rows (without header) that the JSON records stand for."""
    rows: list[list[str]] = []
    for record in records:
        dims = [str(record[k]) for k in ("date", "time", "projectId", "userId") if k in record]
        for item in record["data"]:
            rows.append([*dims, str(record["level"]), item["field"],
                         "" if item["count"] is None else str(item["count"]),
                         "" if item["sum"] is None else str(item["sum"])])
    return rows


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory: pytest.TempPathFactory, seed_dir: Path) -> Iterator[str]:
    db = new_database(tmp_path_factory.mktemp("seed"), "seed")
    created = run("customer", "create", "mycc", "--timezone", "Europe/Budapest",
                  "--password", "pw", db=db)
    assert b"mycc" in created.stdout
    imported = run("import", str(seed_dir / "events.ndjson"), "--customer", "mycc", db=db)
    assert b"stored 32 events from 32 lines" in imported.stdout
    yield db
    drop_database(db)


def test_seed_request_prints_expected_json(seed_db: str, seed_dir: Path) -> None:
    done = run("query", "--customer", "mycc", *request_options(seed_dir), db=seed_db)
    expected_text = (seed_dir / "expected.json").read_text(encoding="utf-8")
    assert json.loads(done.stdout) == json.loads(expected_text)
    # Same keys in the same order at every level (record keys, data entries, envelope).
    assert ordered(done.stdout) == ordered(expected_text)
    assert done.stderr == b""


def test_seed_request_options_are_the_documented_ones(seed_dir: Path) -> None:
    assert request_options(seed_dir) == [
        "--from", "20200601", "--to", "20200630", "--dimensions", "project,user,date,time",
        "--projects", "2", "--users", "17", "--fields",
        "userstateAvailable,dispositionStatusRecall,dispositionReachFailed,"
        "userstateAfterwork,userstateCall,callOut",
    ]


def test_seed_document_url_is_rejected(seed_db: str) -> None:
    done = run("query", "--customer", "mycc", *query_options(SEED_DOCUMENT_URL), db=seed_db,
               check=False)
    assert done.returncode == 2
    assert done.stdout == b""
    envelope = json.loads(done.stderr)
    assert envelope["response"] is None
    assert [e["param"] for e in envelope["errors"]] == ["from"]
    error = envelope["errors"][0]
    assert error["code"] == "error.wrong_format"
    assert list(error) == ["code", "message", "param"]
    assert "yyyymmdd" in error["message"]
    assert "202000106" in error["message"]


def _parse_delimited(output: str, body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    if output == "csv":
        assert text.endswith("\r\n")
        assert text.count("\n") == text.count("\r\n")
        return list(csv.reader(io.StringIO(text, newline="")))
    assert text.endswith("\n")
    assert "\r" not in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter="\t",
                           quoting=csv.QUOTE_NONE))


@pytest.mark.parametrize("output", ["csv", "tab"])
def test_seed_request_as_delimited_text(seed_db: str, seed_dir: Path, output: str) -> None:
    done = run("query", "--customer", "mycc", *request_options(seed_dir), "--of", output,
               db=seed_db)
    rows = _parse_delimited(output, done.stdout)
    expected = json.loads((seed_dir / "expected.json").read_bytes())["response"]
    assert rows[0] == HEADER
    assert rows[1:] == expected_rows(expected)
    assert len(rows) == 1 + sum(len(r["data"]) for r in expected)


def test_every_field_and_fewer_dimensions_agree_across_formats(seed_db: str) -> None:
    base = ["query", "--customer", "mycc", "--from", "20200601", "--to", "20200630",
            "--dimensions", "user,date"]
    as_json = json.loads(run(*base, db=seed_db).stdout)
    records = as_json["response"]
    assert [list(r) for r in records] == [["date", "userId", "data", "level"]] * 2
    assert [r["date"] for r in records] == ["2020-06-15", "2020-06-23"]
    assert {r["level"] for r in records} == {1}
    for output in ("csv", "tab"):
        rows = _parse_delimited(output, run(*base, "--of", output, db=seed_db).stdout)
        assert rows[0] == ["date", "userId", "level", "field", "count", "sum"]
        assert rows[1:] == expected_rows(records)
