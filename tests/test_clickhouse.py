"""The ClickHouse store beyond what every store's tests show.

- The URL form, and that no message gives its password away (no server needed).
- The records SQL on a current ClickHouse engine (chdb, in process): the
  generated statement runs there on the sums of the seed fixture and answers byte
  for byte what the DuckDB store answers (the server tests run it on 18.16).
- On a server (``CCSTATS_TEST_DB``, see `tests.backends`): atomic batches (a batch
  is invisible to other readers until it commits, and a failed one leaves
  nothing, and `compact` removes its rows), a concurrent writer of the same
  customer is refused, ``ccstats migrate`` and its absence (the server answers
  503), a server that cannot be reached (503, and service resumes with it), and
  ``ccstats copy`` from a DuckDB file. Where the database is missing its tables
  or cannot be reached, the URL holds a password (the test servers' user that
  has one, in ``deploy/clickhouse/users.xml``): answers name neither the
  database, its server nor the credentials; the server's log and the command
  line name the database by its URL with ``***`` for the password.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

import httpx
import pyarrow as pa
import pytest
from clickhouse_driver.errors import ServerException

from api.conftest import free_port, stop
from backends import ON_CLICKHOUSE, SERVER_URL
from ccstats.errors import StoreBusy
from ccstats.ingest.lines import block_to_table
from ccstats.pipeline import records as pipeline
from ccstats.pipeline.dialect import CLICKHOUSE
from ccstats.pipeline.plan import plan_of
from ccstats.pipeline.render import render_cells
from ccstats.pipeline.sql import cells_sql
from ccstats.service import ImportReport, Service
from ccstats.store import clickhouse_schema, redacted_url
from ccstats.store.clickhouse_batches import visible_sums
from ccstats.store.clickhouse_target import Target, cluster_hosts
from conftest import call, ndjson, point, records, userstate

CCSTATS = Path(sys.executable).parent / "ccstats"
USERS_XML = Path(__file__).resolve().parents[1] / "deploy" / "clickhouse" / "users.xml"
B = 1_718_000_000  # 2024-06-10T06:13:20Z

on_server = pytest.mark.skipif(not ON_CLICKHOUSE, reason="needs CCSTATS_TEST_DB=clickhouse://")

QUERIES: list[dict[str, str]] = [
    {"dimensions": "project,user,date,time"},
    {"dimensions": "user", "of": "csv"},
    {"dimensions": "time,project", "of": "tab", "interval": "15"},
    {"dimensions": "date,user", "timezone": "America/St_Johns", "interval": "30"},
    {"dimensions": "date", "fields": "callOut,userstateAvailable,dispositionStatusRecall"},
    {"dimensions": "user,date", "projects": "2", "users": "17", "of": "csv"},
]


def test_url_forms() -> None:
    target = Target.parse("clickhouse://ops:s%40f%2Fe@db.example:9440/stats?cluster=ccstats")
    assert (target.host, target.port, target.database, target.cluster, target.user,
            target.password) == ("db.example", 9440, "stats", "ccstats", "ops", "s@f/e")
    assert Target.parse(target.url) == target
    assert Target.parse("clickhouse://localhost").database == "ccstats"
    for bad, says in [("clickhouse:///x", "form"), ("clickhouse://h:x/d", "port"),
                      ("clickhouse://h/d?shards=2", "shards"), ("clickhouse://h/a-b", "database")]:
        with pytest.raises(ValueError, match=says):
            Target.parse(bad)


def test_a_password_is_kept_out_of_every_form_but_the_url() -> None:
    password = "p:a/s@s#1"
    target = Target("db.example", 9440, "stats", "ccstats", "ops", password)
    assert Target.parse(target.url) == target
    assert target.redacted == "clickhouse://ops:***@db.example:9440/stats?cluster=ccstats"
    assert Target("h", 9000, "d").redacted == "clickhouse://default@h:9000/d"
    assert password not in repr(target)
    assert redacted_url(target.url) == target.redacted
    for unchanged in ("/data/a:b@c.duckdb", "duckdb:///data/a@c.duckdb", "clickhouse://h/d"):
        assert redacted_url(unchanged) == unchanged
    for credentials in (f"ops:{password}", f"ops:{quote(password, safe='')}"):
        for bad in (f"clickhouse://{credentials}@/d", f"clickhouse://{credentials}@h:x/d",
                    f"clickhouse://{credentials}@h/d?shards=2"):
            with pytest.raises(ValueError) as refused:
                Target.parse(bad)
            message = str(refused.value)
            assert "ops:***@" in message
            assert not any(part in message for part in ("p:a", "p%3Aa", "s#1", "s%231"))


def test_the_command_line_names_an_unreachable_server_without_its_password() -> None:
    secret = "S3cret/pw"
    target = Target("127.0.0.1", free_port(), "nowhere", user="ops", password=secret)
    for args in (("customer", "list"), ("migrate",)):
        failed = _ccstats(*args, "--db", target.url)
        assert failed.returncode == 1, failed.stderr
        [line] = failed.stderr.splitlines()
        assert line.startswith(f"error: cannot reach ClickHouse at {target.redacted}: ")
        _assert_no_password(failed.stdout + failed.stderr, target)
    malformed = _ccstats("customer", "list", "--db", target.url.replace("/nowhere", ":x/d"))
    assert malformed.returncode == 2 and "ops:***@" in malformed.stderr
    _assert_no_password(malformed.stderr, target)


def _assert_no_password(text: str, target: Target) -> None:
    assert target.password not in text and quote(target.password, safe="") not in text


def _assert_names_nothing(body: str, target: Target) -> None:
    """An answer to a client names neither the database, where it is, nor who logs in."""
    for word in (target.password, quote(target.password, safe=""), target.user, target.host,
                 str(target.port), target.database, "clickhouse"):
        assert word.lower() not in body.lower(), (word, body)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, seed_dir: Path) -> Iterator[Service]:
    """The seed fixture in a DuckDB store."""
    service = Service.open(str(tmp_path_factory.mktemp("chdb") / "seed.duckdb"))
    service.create_customer("mycc", "Europe/Budapest", "pw")
    service.ingest("mycc", (seed_dir / "events.ndjson").read_bytes())
    yield service
    service.close()


def test_cells_sql_on_a_current_engine(seeded: Service) -> None:
    from chdb import session

    duck = seeded._store
    db: Any = session.Session()  # type: ignore[no-untyped-call]
    try:
        for statement in clickhouse_schema.statements(Target("local", 0, "ccstats")):
            db.query(statement)
        db.query("USE ccstats")
        customer = seeded.customer("mycc")
        db.query(f"INSERT INTO batches VALUES ({customer.customer_id}, 1, 'committed')")
        for table, key in (("sums", "qh"), ("sums_hour", "day, hour"), ("sums_day", "day")):
            rows = duck._read(  # type: ignore[attr-defined]
                f"SELECT customer_id, project_id, user_id, {key}, field_id, 1, cnt, secs, hits "
                f"FROM {table}")
            assert rows
            values = ", ".join(str(tuple(row)) for row in rows)
            db.query(f"INSERT INTO {table} (customer_id, project_id, user_id, {key}, field_id, "
                     f"batch, cnt, secs, hits) VALUES {values}")
        for params in QUERIES:
            query = seeded.plan("mycc", {"from": "20200601", "to": "20200630", **params})
            cells_statement = cells_sql(plan_of(query), CLICKHOUSE,
                                        visible_sums(query.customer_id))
            answer = db.query(cells_statement.text, "ArrowStream")
            cells = pa.ipc.open_stream(answer.bytes()).read_all()
            got = b"".join(render_cells(query, cells.cast(pa.schema(
                [(name, pa.int64()) for name in cells_statement.columns])).to_batches()))
            assert got, params
            assert got == b"".join(pipeline.records(query, duck)), params
    finally:
        db.close()


def _events_of(service: Service, name: str) -> int:
    return service.event_count(name)


@on_server
def test_a_batch_is_invisible_until_it_commits(url: str) -> None:
    writer_side, reader_side = Service.open(url), Service.open(url)
    try:
        writer_side.create_customer("acme", "UTC", "pw")
        customer_id = writer_side.customer("acme").customer_id
        body = ndjson(userstate("a", "available", B, B + 60), call("c", "in", B, B + 5, B + 9))
        # the validated blocks `ingest` would write
        checked = list(writer_side._checked([block_to_table(body, 1)], "", ImportReport()))
        with writer_side._store.writer(customer_id) as writer:
            for block in checked:
                writer.add(block.events)
            assert _events_of(reader_side, "acme") == 0
            assert records(reader_side.query("acme", {"from": "20240610", "to": "20240610",
                                                      "dimensions": "user"})) == []
        assert _events_of(reader_side, "acme") == 2
        with pytest.raises(RuntimeError), writer_side._store.writer(customer_id) as writer:
            writer.add(checked[0].events)
            raise RuntimeError("the client went away")
        assert _events_of(reader_side, "acme") == 2
        before = reader_side.query("acme", {"from": "20240610", "to": "20240610",
                                            "dimensions": "user,time"})
        assert _rows_per_batch(url, "events") == {"committed": 2, "not committed": 2}
        writer_side.compact()  # also removes what the failed batch wrote
        _wait_for_mutations(url)
        assert _rows_per_batch(url, "events") == {"committed": 2}
        assert reader_side.query("acme", {"from": "20240610", "to": "20240610",
                                          "dimensions": "user,time"}) == before
    finally:
        writer_side.close()
        reader_side.close()


def _rows_per_batch(url: str, table: str) -> dict[str, int]:
    client = Target.parse(url).client()
    try:
        rows = client.execute(
            f"SELECT if(batch IN (SELECT batch FROM batches WHERE state = 'committed'), "
            f"'committed', 'not committed') AS kind, toInt64(count()) FROM {table} "
            "GROUP BY kind")
        return {str(kind): int(count) for kind, count in rows}
    finally:
        client.disconnect()


def _wait_for_mutations(url: str) -> None:
    """Until every server of `url` has applied its mutations (ClickHouse applies them later)."""
    target = Target.parse(url)
    for host, port in cluster_hosts(target):
        client = target.client(host, port)
        try:
            for _ in range(600):
                pending = client.execute("SELECT count() FROM system.mutations WHERE "
                                         "database = %(db)s AND is_done = 0",
                                         {"db": target.database})[0][0]
                if not pending:
                    break
                time.sleep(0.1)
            else:
                pytest.fail(f"mutations on {host}:{port} still pending")
        finally:
            client.disconnect()


@on_server
def test_a_concurrent_writer_of_the_same_customer_is_refused(url: str) -> None:
    first, second = Service.open(url), Service.open(url)
    try:
        first.create_customer("acme", "UTC", "pw")
        customer_id = first.customer("acme").customer_id
        body = ndjson(point("o", "ticket", "created", B))
        [block] = first._checked([block_to_table(body, 1)], "", ImportReport())
        with pytest.raises(StoreBusy, match="send it again"), \
                first._store.writer(customer_id) as writer:
            writer.add(block.events)
            second.ingest("acme", ndjson(point("p", "ticket", "created", B)))
        assert second.ingest("acme", ndjson(point("q", "ticket", "created", B))) == 1
        assert _events_of(first, "acme") == 2
    finally:
        first.close()
        second.close()


def _with_password(target: Target) -> Target:
    """`target` as the test servers' user that has a password (see `USERS_XML`)."""
    users = ElementTree.parse(USERS_XML).getroot().find("users")
    assert users is not None
    [(name, password)] = [(user.tag, user.findtext("password") or "") for user in users
                          if user.findtext("password")]
    logged_in = dataclasses.replace(target, user=name, password=password)
    try:
        clickhouse_schema.installed_version(logged_in)
    except ServerException as error:
        pytest.fail(f"the server of {SERVER_URL} does not know the user {name} of "
                    f"{USERS_XML}; start it with that file (deploy/clickhouse/servers.sh): "
                    f"{error}")
    return logged_in


@pytest.fixture
def as_password_user() -> Iterator[Target]:
    """`SERVER_URL` as the user with a password, on a new database that has no tables."""
    target = _with_password(Target.parse(SERVER_URL).with_database(
        f"secret_{uuid.uuid4().hex[:12]}"))
    yield target
    clickhouse_schema.drop(target)


def _serve(db: str, log: Path, *options: str) -> tuple[subprocess.Popen[bytes], str]:
    """`ccstats serve --db db` and its base URL, once it answers /health (whatever it says)."""
    port = free_port()
    with log.open("wb") as out:
        server = subprocess.Popen([str(CCSTATS), "serve", "--db", db, "--port", str(port),
                                   *options], stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{base}/health", timeout=5)
            return server, base
        except httpx.TransportError:
            if server.poll() is not None:
                pytest.fail(log.read_text())
            time.sleep(0.1)
    stop(server)
    pytest.fail(f"ccstats serve did not answer:\n{log.read_text()}")


def _assert_unavailable_and_logged(answer: httpx.Response, target: Target, log: Path) -> None:
    """A 503 that names nothing of `target`, whose log line names it with ``***``."""
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "1"
    [error] = answer.json()["errors"]
    assert error["code"] == "error.unavailable"
    _assert_names_nothing(answer.text, target)
    text = log.read_text()
    _assert_no_password(text, target)
    request_id = answer.headers["x-request-id"]
    assert any(request_id in line and target.redacted in line and not line.startswith("{")
               for line in text.splitlines()), text


@on_server
def test_without_tables_answers_503_naming_nothing_and_logs_where(
        as_password_user: Target, tmp_path: Path) -> None:
    """Before authentication (the customer is looked up first) as after it."""
    target = as_password_user
    log = tmp_path / "server.log"
    server, base = _serve(target.url, log)
    stats = {"from": "20240610", "to": "20240610", "dimensions": "user"}
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            answers = [
                client.get("/health"),
                client.get("/v2/statistics/userbased", params=stats, auth=("anyone", "guess")),
                client.post("/v2/events", content=ndjson(userstate("u", "available", B, B + 9)),
                            auth=("acme", "guess"), headers={"Host": "acme.localhost"}),
            ]
        for answer in answers:
            _assert_unavailable_and_logged(answer, target, log)
            assert "ccstats migrate --db" in log.read_text()
    finally:
        stop(server)
    _assert_no_password(log.read_text(), target)


def _ccstats(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CCSTATS), *args], capture_output=True, text=True, timeout=120,
                          check=False)


@on_server
def test_migrate_creates_the_tables(as_password_user: Target) -> None:
    url = as_password_user.url
    before = _ccstats("customer", "list", "--db", url)
    assert before.returncode == 1
    assert f"ccstats migrate --db '{as_password_user.redacted}'" in before.stderr
    _assert_no_password(before.stderr, as_password_user)
    assert _ccstats("migrate", "--db", url).returncode == 0
    assert _ccstats("migrate", "--db", url).returncode == 0  # idempotent
    created = _ccstats("customer", "create", "acme", "--db", url)
    assert created.returncode == 0, created.stderr
    listed = _ccstats("customer", "list", "--db", url).stdout
    assert listed == "acme\tUTC\tany\tdefault\tforever\n"


@on_server
def test_copy_from_duckdb_keeps_every_answer(url: str, tmp_path: Path, seed_dir: Path) -> None:
    source = str(tmp_path / "source.duckdb")
    service_source = Service.open(source)
    try:
        service_source.create_customer("mycc", "Europe/Budapest", "pw")
        service_source.ingest("mycc", (seed_dir / "events.ndjson").read_bytes())
        service_source.ingest("mycc", ndjson(userstate("late", "break", B, B + 99, 2, 17)))
        service_source.delete_event("mycc", "late")
        for name in ("one", "two", "three"):
            service_source.create_preset("mycc", name, ["callOut"])
        service_source.delete_preset("mycc", 2)
        options = [{"from": "20200601", "to": "20200630", **q} for q in QUERIES]
        options.append({"from": "20200601", "to": "20200630", "dimensions": "user",
                        "preset": "3"})
        expected = [service_source.query("mycc", q) for q in options]
    finally:
        service_source.close()
    done = _ccstats("copy", "--customer", "mycc", "--from", source, "--to", url)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "copied customer mycc with 32 events\n"
    copied = Service.open(url)
    try:
        assert [copied.query("mycc", q) for q in options] == expected
        assert copied.authenticate("mycc", "pw") is not None
        assert [p.preset_id for p in copied.presets("mycc")] == [1, 3]
    finally:
        copied.close()
    again = _ccstats("copy", "--customer", "mycc", "--from", source, "--to", url)
    assert again.returncode == 2
    assert "already exists" in again.stderr


class Relay:
    """A TCP relay to a ClickHouse server that a test can cut and restore."""

    def __init__(self, host: str, port: int) -> None:
        self.port = free_port()
        self._upstream = (host, port)
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._keep(listener)
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Close the listener and every relayed connection."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for opened in sockets:
            with contextlib.suppress(OSError):
                opened.shutdown(socket.SHUT_RDWR)
            opened.close()

    def _keep(self, opened: socket.socket) -> None:
        with self._lock:
            self._sockets.append(opened)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._upstream)
            self._keep(client)
            self._keep(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@on_server
def test_an_unreachable_server_gives_503_and_service_resumes(url: str, tmp_path: Path) -> None:
    """Cut the connection to ClickHouse under a running `ccstats serve`, then restore it.

    The server logs in as the user with a password; no answer names the server or
    the credentials, and the command line names the server without the password.
    """
    assert _ccstats("customer", "create", "acme", "--password", "pw", "--db", url).returncode == 0
    target = Target.parse(url)
    relay = Relay(target.host, target.port)
    relay.start()
    relayed = _with_password(dataclasses.replace(target, host="127.0.0.1", port=relay.port))
    log = tmp_path / "server.log"
    server, base = _serve(relayed.url, log, "--rate-limit", "0")
    stats = {"from": "20240610", "to": "20240610", "dimensions": "user"}
    batch = ndjson(userstate("u1", "available", B, B + 600))
    try:
        with httpx.Client(base_url=base, auth=("acme", "pw"), timeout=30) as client:
            assert client.get("/health").status_code == 200
            assert client.post("/v2/events", content=batch).status_code == 200
            before = client.get("/v2/statistics/userbased", params=stats)
            assert before.status_code == 200
            relay.cut()
            for response in (client.get("/v2/statistics/userbased", params=stats),
                             client.post("/v2/events", content=ndjson(
                                 userstate("u2", "available", B, B + 60))),
                             client.get("/v2/projects", auth=("anyone", "guess")),
                             client.get("/health", auth=None)):
                _assert_unavailable_and_logged(response, relayed, log)
                assert str(target.port) not in response.text  # nor the server behind the relay
            offline = _ccstats("customer", "list", "--db", relayed.url)
            assert offline.returncode == 1
            assert f"cannot reach ClickHouse at {relayed.redacted}" in offline.stderr
            _assert_no_password(offline.stderr, relayed)
            relay.start()
            again = client.get("/v2/statistics/userbased", params=stats)
            assert again.status_code == 200, again.text
            assert again.content == before.content  # the refused batch left nothing
    finally:
        stop(server)
        relay.cut()
    _assert_no_password(log.read_text(), relayed)
