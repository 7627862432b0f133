"""Erasing a user through a running server: ``ccstats user erase --server`` and its route.

The user is gone from the answers at once and every other user's stay the same. On
DuckDB the server rewrites its file at once: neither the file nor a backup taken
through the server afterwards holds a byte of the user's name, and the server answers
on.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest

from api import operating
from api.conftest import create_customers, start_server, stop
from api.operating import write_key_file
from backends import ON_CLICKHOUSE, drop_database, new_database
from test_erasure_files import holds

CUSTOMER, PASSWORD = "erase-http", "erase-http-pass"
NAME = "Zebulon Quixote-Served"
#: (an erasure on ClickHouse awaits its mutations)
ccstats = partial(operating.ccstats, timeout=300)
DAY = {"from": "20240610", "to": "20240610", "dimensions": "user,time", "interval": "15"}


class Served:
    """A server with the operator routes on a database of its own, restartable."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db = new_database(folder, "erasure")
        create_customers(self.db, [(CUSTOMER, "Europe/Budapest", PASSWORD)], {})
        self.key_file = write_key_file(folder)
        self.start()

    def start(self) -> None:
        self.process, self.url = start_server(
            self.db, ["--rate-limit", "0", "--max-failed-logins", "0",
                      "--operator-key-file", str(self.key_file)], self.folder / "server.log")

    def stop(self) -> None:
        stop(self.process)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path)
    try:
        yield server
    finally:
        server.stop()
        drop_database(server.db)


def fill(customer: httpx.Client) -> None:
    lines = "".join(
        f'{{"id":"{user}-{n}","type":"userstate","state":"available",'
        f'"start":{1_718_000_000 + n * 700},"end":{1_718_000_500 + n * 700},'
        f'"projectId":1,"userId":{user}}}\n' for user in (7, 8, 9) for n in range(40))
    stored = customer.post("/v2/events", content=lines.encode(),
                           headers={"Content-Type": "application/x-ndjson"})
    assert stored.status_code == 200, stored.text
    renamed = customer.put("/v2/users/7", json={"name": NAME})
    assert renamed.status_code == 200, renamed.text


def test_a_user_is_erased_through_the_server(served: Served, tmp_path: Path) -> None:
    with httpx.Client(base_url=served.url, auth=(CUSTOMER, PASSWORD), timeout=60) as customer:
        fill(customer)
        others = customer.get("/v2/statistics/userbased", params={**DAY, "users": "8,9"})
        assert others.status_code == 200

        done = ccstats("user", "erase", "7", "--customer", CUSTOMER, "--server", served.url)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == [
            f"erased user 7 ({NAME}) of {CUSTOMER}: 40 events, their sums, the name",
            "no file of the database holds them any more"]
        if not ON_CLICKHOUSE:
            assert not holds(Path(served.db), NAME)

        users = customer.get("/v2/users").json()["response"]
        assert [user["userid"] for user in users] == [8, 9]
        again = customer.get("/v2/statistics/userbased", params={**DAY, "users": "8,9"})
        assert again.content == others.content
        everyone = customer.get("/v2/statistics/userbased", params=DAY).json()["response"]
        assert {record["userId"] for record in everyone} == {8, 9}

    with operating.operator(served.url) as operator:
        path = f"/v2/operator/customers/{CUSTOMER}/users"
        for unknown in ("7", "12345", "abc", "0x1"):
            gone = operator.delete(f"{path}/{unknown}")
            assert gone.status_code == 404, gone.text
            assert gone.json()["errors"][0]["param"] == "user_id"
        erased = operator.delete(f"{path}/9")
        assert erased.status_code == 200, erased.text
        assert erased.json()["response"] == {
            "userid": 9, "name": "User 9", "events": 40, "mappings": 0,
            "scrub": "done"}

    with httpx.Client(base_url=served.url, auth=(CUSTOMER, PASSWORD), timeout=60) as customer:
        users = customer.get("/v2/users").json()["response"]
        assert [user["userid"] for user in users] == [8]
        only = customer.get("/v2/statistics/userbased", params={**DAY, "users": "8"})
        assert only.status_code == 200
        assert customer.get("/v2/statistics/userbased", params=DAY).content == only.content
    if ON_CLICKHOUSE:
        return
    backup = tmp_path / "after-erasure.duckdb"
    made = ccstats("backup", str(backup), "--server", served.url)
    assert made.returncode == 0, made.stderr
    assert not holds(backup, NAME) and not holds(Path(served.db), NAME)
