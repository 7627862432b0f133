"""Fixtures of the HTTP tests: the real `ccstats serve` in a subprocess.

Each test module gets its own database and server (module scope). A module says
which customers it needs by overriding the `accounts` fixture (name, time zone,
password) and, for 403 tests, `readonly_keys` (customer name -> password of an
extra key holding only the ``read`` scope, of the form of a generated key:
``<key id>.<secret>``). Customers are created with
``ccstats customer create`` before the server starts, because DuckDB allows one
writing process per file.

- `server`: the base URL (``http://127.0.0.1:PORT``) of the module's server.
- `port`: its port, for ``Host: <customer>.localhost:PORT`` headers.
- `launch`: starts a further server of the module (e.g. with ``--max-body-bytes``).
- `start_server`: one ``ccstats serve`` on a given database, for tests that manage
  their servers themselves (restarts, several servers on one database).
- `seed_dir`: ``shared/fixtures/seed-example`` next to the repository.
- `key_file`: a file holding the operator key of `api.operating` (module scope).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from backends import drop_database, new_database

SEED_DIR = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "seed-example"
CCSTATS = Path(sys.executable).parent / "ccstats"
STARTUP_SECONDS = 30.0

#: (customer name, IANA time zone, password of its all-scope key)
Account = tuple[str, str, str]
#: Starts a server on a new database: (accounts, read-only keys, extra `serve` options) -> URL
Launcher = Callable[[Sequence[Account], dict[str, str], Sequence[str]], str]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def create_customers(db: str, accounts: Sequence[Account], readonly: dict[str, str]) -> None:
    """Create `accounts` with the CLI, then add the read-only keys through the service."""
    for name, zone, password in accounts:
        done = subprocess.run(
            [str(CCSTATS), "customer", "create", name, "--timezone", zone,
             "--password", password, "--db", db],
            capture_output=True, text=True, timeout=60, check=False,
        )
        assert done.returncode == 0, f"customer create {name} failed: {done.stderr}"
    if readonly:
        from ccstats import keys
        from ccstats.model import Scope
        from ccstats.service import Service

        service = Service.open(db)
        try:
            for name, password in readonly.items():
                customer = service.customer(name)
                key_id = password.partition(".")[0]
                service._store.add_key(customer.customer_id,
                                       keys.new_key(password, (Scope.READ,), key_id))
        finally:
            service.close()


def wait_until_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> bool:
    """True once `url` answers /health; False if the server exited (e.g. port taken)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"ccstats serve did not answer /health within {STARTUP_SECONDS} s:\n"
                f"{log.read_text(errors='replace')}")


def start_server(db: str, options: Sequence[str], log: Path
                 ) -> tuple[subprocess.Popen[bytes], str]:
    """``ccstats serve --db DB --port PORT OPTIONS`` on a free port, its output in `log`:
    the process and its base URL once it answers /health (fails the test otherwise)."""
    for _ in range(3):  # another process may take the free port before the server binds it
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(CCSTATS), "serve", "--db", db, "--port", str(port), *options],
                stdout=out, stderr=subprocess.STDOUT)
        if wait_until_healthy(process, url, log):
            return process, url
        if b"address already in use" not in log.read_bytes().lower():
            break
    pytest.fail(f"ccstats serve exited with {process.returncode}:\n"
                f"{log.read_text(errors='replace')}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def accounts() -> list[Account]:
    """The customers of the module's server; modules override this fixture."""
    return [("mycc", "Europe/Budapest", "mycc-pass")]


@pytest.fixture(scope="module")
def readonly_keys() -> dict[str, str]:
    """Customer name -> password (``<key id>.<secret>``) of an extra read-only key; modules
    override this fixture."""
    return {}


@pytest.fixture(scope="module")
def launch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    """Starts servers on fresh databases; all of them are stopped after the module."""
    processes: list[subprocess.Popen[bytes]] = []
    databases: list[str] = []

    def start(accounts: Sequence[Account], readonly: dict[str, str],
              options: Sequence[str]) -> str:
        folder = tmp_path_factory.mktemp("server")
        db = new_database(folder, "server")
        databases.append(db)
        create_customers(db, accounts, readonly)
        log = folder / "server.log"
        # Tests send bursts from one address: limits only where a test asks for them.
        limits = [*([] if "--rate-limit" in options else ["--rate-limit", "0"]),
                  *([] if "--max-failed-logins" in options else ["--max-failed-logins", "0"])]
        process, url = start_server(db, [*limits, *options], log)
        processes.append(process)
        return url

    try:
        yield start
    finally:
        for process in processes:
            stop(process)
        for db in databases:
            drop_database(db)


@pytest.fixture(scope="module")
def server(launch: Launcher, accounts: list[Account], readonly_keys: dict[str, str]) -> str:
    """The base URL of the module's server."""
    return launch(accounts, readonly_keys, [])


@pytest.fixture(scope="module")
def port(server: str) -> int:
    found = httpx.URL(server).port
    assert found is not None
    return found


@pytest.fixture(scope="module")
def seed_dir() -> Path:
    if not SEED_DIR.is_dir():
        pytest.fail(f"seed fixture not found at {SEED_DIR}; clone the repository next to shared/")
    return SEED_DIR


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from api.operating import write_key_file

    return write_key_file(tmp_path_factory.mktemp("operator"))
