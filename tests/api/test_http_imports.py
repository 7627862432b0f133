"""`ccstats import --server`: an import sent in parts to the operator's import routes of
a real server (`ccstats.api.operator_imports`), stored as one batch, as with --db."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import orjson
import pytest

from api import operating
from api.conftest import CCSTATS, Launcher, start_server, stop
from api.operating import OPERATOR_KEY, answer, operator
from backends import ON_CLICKHOUSE, drop_database, new_database
from ccstats.errors import InvalidRequest
from ccstats.operator_client import OperatorClient
from queue_log.synthetic import LINES, T, text

CUSTOMER, PASSWORD = "acme-up", "acme-up-pass"
#: The server's --max-body-bytes: every file below is larger, so it goes in many parts.
SMALL = 4096
MARCH_1 = 1_709_251_200
STATS = "/v2/statistics/userbased"
DAYS = {"from": "20240101", "to": "20240302", "dimensions": "project,user,date",
        "of": "csv"}
IMPORTS = f"/v2/operator/customers/{CUSTOMER}/imports"


def events(count: int, prefix: str, offset: int = 0) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}{n}", "type": "userstate", "state": "available",
             "start": MARCH_1 + offset + 60 * n, "end": MARCH_1 + offset + 60 * n + 30,
             "projectId": 1 + n % 3, "userId": 1 + n % 5} for n in range(count)]


def queue_log(calls: int) -> bytes:
    """A log of `calls` answered calls of three agents, a day after the synthetic one's."""
    start = T + 86_400
    lines = [f"{start}|NONE|NONE|Agent/20{agent}|AGENTLOGIN|SIP/20{agent}" for agent in range(3)]
    for n in range(calls):
        at, agent = start + 10 + 300 * n, f"Agent/20{n % 3}"
        lines += [f"{at}|q{n}|sales|NONE|ENTERQUEUE||0555{n:06}|1",
                  f"{at + 5}|q{n}|sales|{agent}|CONNECT|5|q{n}.1|2",
                  f"{at + 65}|q{n}|sales|{agent}|COMPLETECALLER|5|60|1"]
    return text(lines, final_newline=True).encode()


def ndjson(rows: Sequence[dict[str, Any] | str]) -> bytes:
    return b"".join((row.encode() if isinstance(row, str) else orjson.dumps(row)) + b"\n"
                    for row in rows)


@pytest.fixture(scope="module")
def small(launch: Launcher, key_file: Path) -> str:
    """A server with the operator routes that takes bodies of at most `SMALL` bytes."""
    return launch([(CUSTOMER, "UTC", PASSWORD)], {},
                  ["--operator-key-file", str(key_file), "--max-body-bytes", str(SMALL)])


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("files")
    contents = {
        "valid.ndjson": ndjson(events(300, "v")),
        "more.ndjson": ndjson(events(100, "m", offset=86_400)),
        "invalid.ndjson": ndjson([*events(60, "i"), "not json",
                                  {**events(1, "x")[0], "state": "asleep"},
                                  *events(40, "j", offset=3600)]),
        "pbx.queue_log": queue_log(80),
        "synthetic.queue_log": text(LINES).encode(),
        "no-log.queue_log": b"hello\nworld\n",
        "empty.ndjson": b"",
    }
    for name, content in contents.items():
        (folder / name).write_bytes(content)
    return {name: folder / name for name in contents}


#: (an import of every file here takes a while)
ccstats = partial(operating.ccstats, timeout=300)


def said(done: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
    return done.returncode, done.stdout, done.stderr


def statistics(url: str) -> bytes:
    with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=60) as reader:
        found = reader.get(STATS, params=DAYS)
        assert found.status_code == 200, found.text
        return found.content


def imports(f: dict[str, Path]) -> list[tuple[str, ...]]:
    """`ccstats import` arguments, each run with --db and with --server."""
    return [
        (str(f["valid.ndjson"]),),
        (str(f["invalid.ndjson"]),),
        (str(f["more.ndjson"]), str(f["invalid.ndjson"])),  # one batch: nothing stored
        (str(f["invalid.ndjson"]), "--skip-invalid"),
        (str(f["more.ndjson"]), str(f["empty.ndjson"]), str(f["valid.ndjson"])),
        (str(f["pbx.queue_log"]), "--format", "queue_log"),
        (str(f["synthetic.queue_log"]), str(f["pbx.queue_log"]), "--format", "queue_log"),
        (str(f["no-log.queue_log"]), "--format", "queue_log"),
        (str(f["valid.ndjson"]), "--format", "queue_log"),
    ]


def test_import_says_and_stores_the_same_with_server_as_with_db(
        small: str, files: dict[str, Path], tmp_path: Path) -> None:
    db = new_database(tmp_path, "cli")
    try:
        made = ccstats("customer", "create", CUSTOMER, "--password", PASSWORD, "--db", db)
        assert made.returncode == 0, made.stderr
        statuses = []
        for args in imports(files):
            with_db = ccstats("import", *args, "--customer", CUSTOMER, "--db", db)
            with_server = ccstats("import", *args, "--customer", CUSTOMER, "--server", small)
            assert said(with_server) == said(with_db), args
            statuses.append(with_db.returncode)
        assert statuses == [0, 2, 2, 0, 0, 0, 0, 2, 2]
        nobody = ("import", str(files["valid.ndjson"]), "--customer", "nobody")
        assert said(ccstats(*nobody, "--server", small)) == said(ccstats(*nobody, "--db", db))
        query = ccstats("query", "--customer", CUSTOMER, "--from", DAYS["from"], "--to",
                        DAYS["to"], "--dimensions", DAYS["dimensions"], "--of", "csv",
                        "--db", db)
        assert query.returncode == 0, query.stderr
        assert statistics(small).decode().replace("\r\n", "\n") == query.stdout
        assert query.stdout.count("\n") > 10
    finally:
        drop_database(db)


def test_what_the_command_refuses_with_server(small: str, files: dict[str, Path],
                                              tmp_path: Path) -> None:
    valid = str(files["valid.ndjson"])
    for extra, refused in ((("--skip-invalid", "--rejects", str(tmp_path / "r")), "--rejects"),
                           (("--format", "queue_log", "--follow"), "--follow")):
        done = ccstats("import", valid, "--customer", CUSTOMER, *extra, "--server", small)
        assert done.returncode == 2 and f"{refused} is for --db" in done.stderr
    both = ccstats("import", valid, "--customer", CUSTOMER, "--server", small, "--db", "x.db")
    assert both.returncode == 2 and "not both" in both.stderr


def _open(client: httpx.Client, size: int, **options: Any) -> str:
    opened = answer(client.post(IMPORTS, json={
        **options, "files": [{"name": "calls.ndjson", "bytes": size}]}))
    assert opened["maxPartBytes"] == SMALL and opened["idleSeconds"] == 3600
    upload: str = opened["upload"]
    return upload


def test_parts_in_order_then_one_commit(small: str) -> None:
    content = ndjson(events(50, "p", offset=7 * 86_400))
    parts = [content[start:start + SMALL] for start in range(0, len(content), SMALL)]
    assert len(parts) >= 2
    with operator(small) as client:
        upload = _open(client, len(content))
        base = f"{IMPORTS}/{upload}"
        [error] = answer(client.put(f"{base}/parts/2", content=parts[1]), 417)
        assert error["param"] == "part" and "expected part 1" in error["message"]
        [error] = answer(client.put(f"{base}/parts/x", content=parts[0]), 417)
        assert error["param"] == "part"
        [error] = answer(client.put(f"{base}/parts/1", content=content[:SMALL + 1]), 413)
        assert error["param"] == "body"
        stored = answer(client.put(f"{base}/parts/1", content=parts[0]))
        assert stored == {"part": 1, "received": len(parts[0]), "bytes": len(content)}
        [error] = answer(client.put(f"{base}/parts/1", content=parts[1]), 417)
        assert "received already" in error["message"]
        [error] = answer(client.post(f"{base}/commit"), 417)
        assert error["param"] == "upload" and "send the remaining parts" in error["message"]
        for number, part in enumerate(parts[1:], start=2):
            answer(client.put(f"{base}/parts/{number}", content=part))
        [error] = answer(client.put(f"{base}/parts/{len(parts) + 1}", content=b"{}"), 417)
        assert "more than the" in error["message"]
        report = answer(client.post(f"{base}/commit"))
        assert report == {"format": "ndjson", "stored": 50, "accepted": 50, "lines": 50,
                          "rejected": 0, "problems": []}
        for method in ("POST", "DELETE"):  # committed: gone
            [error] = answer(client.request(method, f"{base}/commit" if method == "POST"
                                            else base), 404)
            assert error["param"] == "upload"


def test_mistakes_in_opening_and_ids(small: str) -> None:
    with operator(small) as client:
        errors = answer(client.post(IMPORTS, json={"format": "csv", "skipInvalid": "yes",
                                                   "files": []}), 417)
        assert [error["param"] for error in errors] == ["format", "skipInvalid", "files"]
        errors = answer(client.post(IMPORTS, json={"files": [{"name": "", "bytes": 1},
                                                             {"name": "a", "bytes": -1}]}), 417)
        assert [error["param"] for error in errors] == ["files.0", "files.1"]
        [error] = answer(client.post(IMPORTS, json={
            "format": "queue_log", "skipInvalid": True, "files": [{"name": "a", "bytes": 1}]}),
            417)
        assert error["param"] == "skipInvalid"
        answer(client.post("/v2/operator/customers/nobody/imports",
                           json={"files": [{"name": "a", "bytes": 1}]}), 404)
        upload = _open(client, 10)
        for path in (f"{IMPORTS}/{'0' * 32}/commit",
                     f"/v2/operator/customers/nobody/imports/{upload}/commit"):
            [error] = answer(client.post(path), 404)
            assert error["param"] == "upload"
        assert answer(client.delete(f"{IMPORTS}/{upload}")) is True


def test_abandoned_and_refused_uploads_store_nothing(small: str, files: dict[str, Path]
                                                     ) -> None:
    before = statistics(small)
    content = ndjson(events(40, "a", offset=86_400 + 30))
    with operator(small) as client:
        upload = _open(client, len(content))
        answer(client.put(f"{IMPORTS}/{upload}/parts/1", content=content[:SMALL]))
        assert answer(client.delete(f"{IMPORTS}/{upload}")) is True
        answer(client.post(f"{IMPORTS}/{upload}/commit"), 404)

    def interrupted(_: int) -> None:
        raise KeyboardInterrupt

    with OperatorClient(small, OPERATOR_KEY) as sender:
        with pytest.raises(KeyboardInterrupt):
            sender.import_files(CUSTOMER, [files["valid.ndjson"]], progress=interrupted)
        with pytest.raises(InvalidRequest):
            sender.import_logs(CUSTOMER, [files["no-log.queue_log"]])
    assert statistics(small) == before


def _spooled(root: Path) -> list[str]:
    """The files spooled below `root` (the servers' lock files left out)."""
    return sorted(str(found.relative_to(root)) for found in root.rglob("*")
                  if found.is_file() and found.name != ".lock")


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """A database and the folder where its servers spool (beside a DuckDB file, else in
    TMPDIR, set to a folder of this test)."""
    db = new_database(tmp_path, "spool")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    root = tmp_path / "ccstats-uploads" if ON_CLICKHOUSE else Path(f"{db}.uploads")
    made = subprocess.run([str(CCSTATS), "customer", "create", CUSTOMER, "--db", db],
                          capture_output=True, check=False, timeout=60)
    assert made.returncode == 0, made.stderr
    try:
        yield db, root
    finally:
        drop_database(db)


def test_the_spool_is_removed_after_use_and_at_start_and_stop(
        spool: tuple[str, Path], key_file: Path, tmp_path: Path) -> None:
    db, root = spool
    left = root / "server-ended" / "upload"
    left.mkdir(parents=True)
    (left / "0").write_bytes(b"left by a server that crashed")
    process, url = start_server(db, ["--operator-key-file", str(key_file)],
                                tmp_path / "server.log")
    try:
        assert not (root / "server-ended").exists()
        with operator(url) as client:
            upload = _open_any(client, 10)
            answer(client.put(f"{IMPORTS}/{upload}/parts/1", content=b"0123"))
            assert len(_spooled(root)) == 1
            answer(client.delete(f"{IMPORTS}/{upload}"))
            assert _spooled(root) == []
            upload = _open_any(client, 4)
            answer(client.put(f"{IMPORTS}/{upload}/parts/1", content=b"\n\n\n\n"))
            answer(client.post(f"{IMPORTS}/{upload}/commit"))
            assert _spooled(root) == []
            upload = _open_any(client, 10)
            answer(client.put(f"{IMPORTS}/{upload}/parts/1", content=b"0123"))
    finally:
        stop(process)
    assert not root.exists()


def _open_any(client: httpx.Client, size: int) -> str:
    opened = answer(client.post(IMPORTS, json={"files": [{"name": "x", "bytes": size}]}))
    upload: str = opened["upload"]
    return upload


def test_at_most_eight_uploads_are_open(spool: tuple[str, Path], key_file: Path,
                                        tmp_path: Path) -> None:
    db, _ = spool
    process, url = start_server(db, ["--operator-key-file", str(key_file)],
                                tmp_path / "server.log")
    try:
        with operator(url) as client:
            opened = [_open_any(client, 1) for _ in range(8)]
            refused = client.post(IMPORTS, json={"files": [{"name": "x", "bytes": 1}]})
            [error] = answer(refused, 429)
            assert "8 uploads are open" in error["message"]
            answer(client.delete(f"{IMPORTS}/{opened[0]}"))
            _open_any(client, 1)
    finally:
        stop(process)


def test_every_answer_is_as_documented(small: str, files: dict[str, Path]) -> None:
    """Answers of each import route, 200 and refusals, against `/openapi.json`."""
    document = httpx.get(f"{small}/openapi.json", timeout=30).json()
    routes = "/v2/operator/customers/{customer}/imports"
    checked: set[tuple[str, str, int]] = set()

    def check(response: httpx.Response, method: str, template: str = "") -> Any:
        documented = document["paths"][routes + template][method]["responses"]
        status = str(response.status_code)
        assert status in documented, (method, template, response.text)
        schema = documented[status]["content"]["application/json"]["schema"]
        validator = jsonschema_rs.Draft202012Validator(
            {**schema, "components": document["components"]})
        assert validator.is_valid(response.json()), (method, template, response.text)
        checked.add((method, template, response.status_code))
        return response.json()["response"]

    log = files["pbx.queue_log"].read_bytes()
    parts, commit = "/{upload}/parts/{part}", "/{upload}/commit"
    with operator(small) as client:
        check(client.post(IMPORTS, json={"files": []}), "post")
        check(client.post(IMPORTS.replace(CUSTOMER, "nobody"),
                          json={"files": [{"name": "a", "bytes": 1}]}), "post")
        for options, content in (({"format": "queue_log"}, log[:SMALL]),
                                 ({"skipInvalid": True}, b'{"id": 1}\n')):
            opened = check(client.post(IMPORTS, json={
                **options, "files": [{"name": "a", "bytes": len(content)}]}), "post")
            base = f"{IMPORTS}/{opened['upload']}"
            check(client.put(f"{base}/parts/2", content=content), "put", parts)
            check(client.put(f"{base}/parts/1", content=content + b"x"), "put", parts)
            check(client.put(f"{base}/parts/1", content=content), "put", parts)
            check(client.post(f"{base}/commit"), "post", commit)
        opened = check(client.post(IMPORTS, json={"files": [{"name": "a", "bytes": 2 * SMALL}]}),
                       "post")
        base = f"{IMPORTS}/{opened['upload']}"
        check(client.put(f"{base}/parts/1", content=b"x" * (SMALL + 1)), "put", parts)
        check(client.post(f"{base}/commit"), "post", commit)
        check(client.delete(base), "delete", "/{upload}")
        check(client.delete(base), "delete", "/{upload}")
        check(client.put(f"{base}/parts/1", content=b"x"), "put", parts)
    assert {(method, template) for method, template, _ in checked} == {
        ("post", ""), ("put", parts), ("post", commit), ("delete", "/{upload}")}
    assert {status for _, _, status in checked} == {200, 404, 413, 417}
