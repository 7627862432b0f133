"""A database whose server was killed opens without any network, with the same answers.

A process that creates a new DuckDB file writes its tables into the write-ahead
log; DuckDB's default settings made replaying such a log try to download a
built-in extension, so after a crash the file could not be opened offline. Here
the real commands run in subprocesses on real ports, are killed with SIGKILL
(or stopped with SIGTERM), and the file is then opened by ``ccstats`` inside
``unshare -n``: a network namespace with no interface up, not even loopback.
If such a namespace cannot be made (not root, no user namespaces), the tests
fail: they never skip.
"""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from api.conftest import CCSTATS, free_port, wait_until_healthy
from backends import ON_CLICKHOUSE

pytestmark = pytest.mark.skipif(ON_CLICKHOUSE, reason="kills servers on DuckDB files")

CUSTOMER, PASSWORD = "acme", "acme-pass"
STARTUP_SECONDS = 300.0
#: Runs a ccstats command with no network at all: arguments -> finished process.
Offline = Callable[[Sequence[str]], subprocess.CompletedProcess[bytes]]

_CONNECT = "import socket, sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 5)"


#: Ways to enter a network namespace of one's own: as root, else inside a user namespace.
NAMESPACES = (("--net",), ("--map-root-user", "--net"))


def _unreachable(prefix: Sequence[str]) -> bool:
    """Whether a command behind `prefix` fails to reach a port listening here."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = str(listener.getsockname()[1])
        outside = subprocess.run([sys.executable, "-c", _CONNECT, port], capture_output=True,
                                 text=True, timeout=60, check=False)
        assert outside.returncode == 0, outside.stderr
        inside = subprocess.run([*prefix, sys.executable, "-c", _CONNECT, port],
                                capture_output=True, text=True, timeout=60, check=False)
    return "Network is unreachable" in inside.stderr


@pytest.fixture(scope="module")
def offline() -> Offline:
    """The runner of ccstats commands in a network namespace of their own, once a
    command there was seen to reach nothing, not even a port listening here."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.fail("these tests need util-linux `unshare` to run a command without network")
    prefix = next(([unshare, *way] for way in NAMESPACES if _unreachable([unshare, *way])),
                  None)
    if prefix is None:
        pytest.fail("cannot run a command without network: `unshare --net` needs root "
                    "(CAP_SYS_ADMIN) or user namespaces")

    def run(arguments: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([*prefix, str(CCSTATS), *arguments], capture_output=True,
                              timeout=300, check=False)

    return run


def wal(db: Path) -> Path:
    return db.with_name(db.name + ".wal")


def start(command: Sequence[str], log: Path, ready: str) -> subprocess.Popen[bytes]:
    """Start `command` with its output in `log`; return once `ready` is printed."""
    with log.open("wb") as out:
        process = subprocess.Popen([str(CCSTATS), *command], stdout=out,
                                   stderr=subprocess.STDOUT)
    deadline = time.monotonic() + STARTUP_SECONDS
    while ready not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait(timeout=60)
            pytest.fail(f"{command[0]} did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)
    return process


def serve(db: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start(["serve", "--db", str(db), "--port", str(port)], log, "Uvicorn running")
    assert wait_until_healthy(process, url, log)
    return process, url


def halt(process: subprocess.Popen[bytes], db: Path, how: signal.Signals) -> None:
    """Stop `process` with `how`: SIGKILL leaves the writes in the log, SIGTERM must end
    it as Ctrl-C does, with the log folded into the file."""
    process.send_signal(how)
    code = process.wait(timeout=120)
    if how is signal.SIGKILL:
        assert wal(db).stat().st_size > 0, "the writes should still be in the log"
    else:
        assert code == 0
        assert checkpointed(db)


def checkpointed(db: Path) -> bool:
    return not wal(db).exists() or wal(db).stat().st_size == 0


def query_options(url: str) -> list[str]:
    """`ccstats query` options asking what the statistics URL asks."""
    return [part for name, value in parse_qsl(urlsplit(url).query)
            for part in (f"--{name}", value)]


STOPS = [pytest.param(signal.SIGKILL, id="sigkill"), pytest.param(signal.SIGTERM, id="sigterm")]


@pytest.mark.parametrize("how", STOPS)
def test_the_demo_stopped_once_it_serves_reopens_offline_with_the_same_answers(
        tmp_path: Path, offline: Offline, how: signal.Signals) -> None:
    db = tmp_path / "demo.duckdb"
    port = free_port()
    log = tmp_path / "demo.log"
    demo = start(["demo", "--db", str(db), "--port", str(port)], log, "Uvicorn running")
    try:
        examples = [line.split("'")[1] for line in log.read_text().splitlines()
                    if line.strip().startswith("curl -u demo:demo-key")]
        assert len(examples) == 3, log.read_text()
        answers = {}
        for example in examples:
            local = example.replace(urlsplit(example).netloc, f"127.0.0.1:{port}")
            got = httpx.get(local, auth=("demo", "demo-key"), timeout=60)
            assert got.status_code == 200, got.text
            answers[example] = got.content
    finally:
        halt(demo, db, how)

    for example, answer in answers.items():
        again = offline(["query", "--db", str(db), "--customer", "demo",
                         *query_options(example)])
        assert again.returncode == 0, again.stderr
        assert again.stdout == answer


@pytest.mark.parametrize("how", STOPS)
def test_a_new_database_of_a_stopped_server_reopens_offline_with_the_same_answers(
        tmp_path: Path, offline: Offline, how: signal.Signals) -> None:
    db = tmp_path / "new.duckdb"
    first, _ = serve(db, tmp_path / "server-1.log")  # creates the tables of the new file
    halt(first, db, how)
    created = offline(["customer", "create", CUSTOMER, "--timezone", "Europe/Budapest",
                       "--password", PASSWORD, "--db", str(db)])
    assert created.returncode == 0, created.stderr

    second, url = serve(db, tmp_path / "server-2.log")
    try:
        with httpx.Client(base_url=url, auth=(CUSTOMER, PASSWORD), timeout=60) as client:
            stored = client.post("/v2/events", headers={"Content-Type": "application/x-ndjson"},
                                 content=b'{"id":"c1","type":"call","direction":"in",'
                                         b'"start":"2024-06-01T10:00:00+02:00","answer":null,'
                                         b'"end":"2024-06-01T10:00:20+02:00","projectId":7,'
                                         b'"userId":8}\n')
            assert stored.status_code == 200, stored.text
            stats = "/v2/statistics/userbased?from=20240601&to=20240601&dimensions=project,user"
            answer = client.get(stats)
            assert answer.status_code == 200, answer.text
    finally:
        halt(second, db, how)
    again = offline(["query", "--db", str(db), "--customer", CUSTOMER,
                     *query_options(stats)])
    assert again.returncode == 0, again.stderr
    assert again.stdout == answer.content
    assert b"7\tactive\tProject 7" in offline(["project", "list", "--customer", CUSTOMER,
                                              "--db", str(db)]).stdout


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_a_command_stopped_by_a_signal_closes_its_store_as_on_ctrl_c(
        tmp_path: Path, how: signal.Signals) -> None:
    """`ccstats query` opens a database left with a log (replayed), streams a large
    answer into a pipe nobody reads, and is stopped while it waits there."""
    db = tmp_path / "demo.duckdb"
    log = tmp_path / "demo.log"
    demo = start(["demo", "--db", str(db), "--port", str(free_port())], log, "Uvicorn running")
    halt(demo, db, signal.SIGKILL)
    first, last = re.findall(r"data from (\S+) to (\S+)\)", log.read_text())[0]
    query = subprocess.Popen(
        [str(CCSTATS), "query", "--db", str(db), "--customer", "demo", "--from",
         first.replace("-", ""), "--to", last.replace("-", ""), "--interval", "15",
         "--dimensions", "project,user,date,time", "--of", "csv"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        # Ctrl-C's signal as a terminal sends it, even where this test runs with it ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # noqa: PLW1509
    assert query.stdout is not None
    assert query.stdout.read(1024)  # it opened the database and streams
    query.send_signal(how)
    _, errors = query.communicate(timeout=120)
    assert query.returncode == 1 and b"Aborted!" in errors, errors
    assert checkpointed(db)
