"""Concurrent changes of metadata: every check and its change happen as one.

Each test makes two callers do their reads before either changes anything
(`concurrency.hold_first_change`), the order in which a check-then-act change
goes wrong, and then checks that the store kept its promise. The tests run on
DuckDB and, with ``CCSTATS_TEST_DB``, on ClickHouse (threads of one process);
the ``process`` tests run the callers as separate processes on ClickHouse.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import ccstats
from backends import ON_CLICKHOUSE, drop_database, new_database
from ccstats import keys
from ccstats.errors import InvalidRequest
from ccstats.importers.queue_log.names import NameMap
from ccstats.model import ApiKey, Project, Scope, Status, User, UserKind
from ccstats.service import MAX_KEYS, Service
from ccstats.store.base import NameMapper
from ccstats.store.clickhouse_schema import local_name
from ccstats.store.clickhouse_target import Target, cluster_hosts
from concurrency import hold_first_change, run_together
from conftest import ndjson, point

on_server = pytest.mark.skipif(not ON_CLICKHOUSE, reason="needs CCSTATS_TEST_DB=clickhouse://")

#: How long a caller waits for the other at the meeting point before the test fails
#: (a bound against hanging, never reached when the code under test is right).
MEETING_SECONDS = 60


def meet_before_changes(*services: Service, parties: int = 2) -> None:
    """Hold `parties` callers before their first change until all of them are there."""
    barrier = threading.Barrier(parties, timeout=MEETING_SECONDS)
    for service in services:
        hold_first_change(service._store, barrier.wait)


def _admin_keys(service: Service, customer: str) -> list[str]:
    return [k.key_id for k in service.keys(customer) if Scope.ADMIN in k.scopes]


def test_two_revocations_leave_an_admin_key(service: Service) -> None:
    service.create_customer("acme", "UTC", "pw")
    service.create_key("acme", ["admin"])
    first, second = _admin_keys(service, "acme")
    meet_before_changes(service)
    outcomes = run_together(lambda: service.revoke_key("acme", first),
                            lambda: service.revoke_key("acme", second))
    assert sorted(type(o).__name__ for o in outcomes) == ["InvalidRequest", "NoneType"]
    assert len(_admin_keys(service, "acme")) == 1


def test_two_creators_of_one_customer_get_one_customer(service: Service) -> None:
    meet_before_changes(service)
    outcomes = run_together(lambda: service.create_customer("acme", "UTC"),
                            lambda: service.create_customer("acme", "UTC"))
    secrets = [o for o in outcomes if isinstance(o, str)]
    assert len(secrets) == 1, outcomes
    [refused] = [o for o in outcomes if not isinstance(o, str)]
    assert isinstance(refused, InvalidRequest) and "already exists" in str(refused)
    [secret] = secrets
    assert len(service.keys("acme")) == 1
    assert service.authenticate("acme", secret) is not None


def _clones(template: ApiKey, count: int) -> list[ApiKey]:
    """`count` stored keys with ids of their own (one slow hash for all of them)."""
    return [dataclasses.replace(template, key_id=f"clone{i:03d}") for i in range(count)]


def test_two_key_creations_stop_at_the_limit(service: Service) -> None:
    service.create_customer("acme", "UTC", "pw")
    customer_id = service.customer("acme").customer_id
    template = keys.new_key("unused", (Scope.READ,))
    for key in _clones(template, MAX_KEYS - 2):
        service._store.add_key(customer_id, key)
    meet_before_changes(service)
    outcomes = run_together(lambda: service.create_key("acme", ["read"]),
                            lambda: service.create_key("acme", ["read"]))
    assert sum(isinstance(o, InvalidRequest) for o in outcomes) == 1, outcomes
    assert len(service.keys("acme")) == MAX_KEYS


@pytest.mark.parametrize("kind", ["project", "user"])
def test_two_creations_of_one_id_keep_one(service: Service, kind: str) -> None:
    service.create_customer("acme", "UTC", "pw")

    def create(name: str) -> Callable[[], object]:
        if kind == "project":
            return lambda: service.create_project("acme", Project(7, name, Status.ACTIVE))
        return lambda: service.create_user("acme", User(7, name, UserKind.AGENT, Status.ACTIVE))

    meet_before_changes(service)
    outcomes = run_together(create("first"), create("second"))
    assert sum(isinstance(o, InvalidRequest) for o in outcomes) == 1, outcomes
    [created] = [o for o in outcomes if isinstance(o, (Project, User))]
    stored = service.projects("acme") if kind == "project" else service.users("acme")
    assert stored == [created]


def test_two_changes_of_one_project_keep_both(service: Service) -> None:
    service.create_customer("acme", "UTC", "pw")
    service.create_project("acme", Project(7, "Sales", Status.ACTIVE))
    meet_before_changes(service)
    outcomes = run_together(lambda: service.update_project("acme", 7, name="Renewals"),
                            lambda: service.update_project("acme", 7, status=Status.INACTIVE))
    assert all(isinstance(o, Project) for o in outcomes), outcomes
    assert service.projects("acme") == [Project(7, "Renewals", Status.INACTIVE)]


def test_two_changes_of_one_user_keep_both(service: Service) -> None:
    service.create_customer("acme", "UTC", "pw")
    service.create_user("acme", User(3, "Anna", UserKind.AGENT, Status.ACTIVE))
    meet_before_changes(service)
    outcomes = run_together(lambda: service.update_user("acme", 3, name="Anna K."),
                            lambda: service.update_user("acme", 3, kind=UserKind.SYSTEM))
    assert all(isinstance(o, User) for o in outcomes), outcomes
    assert service.users("acme") == [
        User(3, "Anna K.", UserKind.SYSTEM, Status.ACTIVE)]


def test_two_importers_give_new_queues_ids_of_their_own(service: Service) -> None:
    """The second import asks for its batch while the first has mapped its names but
    not stored them: it must not map before the first batch is stored."""
    service.create_customer("acme", "UTC", "pw")
    service.create_project("acme", Project(4, "Existing", Status.ACTIVE))
    maps: dict[str, NameMap] = {}
    first_mapped, second_asked, second_mapped = (threading.Event() for _ in range(3))
    store: Any = service._store
    real_writer = store.writer

    def writer(customer_id: int) -> Any:
        if threading.current_thread().name == "second":
            second_asked.set()
        return real_writer(customer_id)

    def mapping(name: str, queues: list[str], members: list[str]
                ) -> Callable[[NameMapper], bytes]:
        def derive(mapper: NameMapper) -> bytes:
            maps[name] = NameMap(mapper)
            maps[name].add(queues, members)
            if name == "first":
                first_mapped.set()
                assert second_asked.wait(MEETING_SECONDS)
                # time for a second batch that is not held back to map its names
                second_mapped.wait(0.5)
            else:
                second_mapped.set()
            return b""
        return derive

    def second() -> None:
        assert first_mapped.wait(MEETING_SECONDS)
        service.ingest_mapped("acme", mapping("second", ["support"], ["SIP/2002"]))

    store.writer = writer
    thread = threading.Thread(target=second, name="second")
    thread.start()
    service.ingest_mapped("acme", mapping("first", ["sales", "NONE"], ["SIP/2001"]))
    thread.join(MEETING_SECONDS)
    first, second_map = maps["first"], maps["second"]
    ids = {"sales": first.project("sales"), "NONE": first.project("NONE"),
           "support": second_map.project("support")}
    assert sorted(ids.values()) == [5, 6, 7]
    assert {first.user("SIP/2001"), second_map.user("SIP/2002")} == {1, 2}
    titles = {p.project_id: p.name for p in service.projects("acme")}
    assert titles == {4: "Existing", ids["sales"]: "sales", ids["NONE"]: "No queue",
                      ids["support"]: "support"}
    mapped = {m.name: m.target_id for m in service.name_mappings("acme", "queue_log")}
    assert mapped == {**ids, "SIP/2001": first.user("SIP/2001"),
                      "SIP/2002": second_map.user("SIP/2002")}


class _HeldName(str):
    """A customer name whose second hash holds the thread until `release` is set.

    A cache takes the key's hash when it looks the key up and again when it keeps
    the loaded value: the second time is after the load, where the value may
    already be out of date.
    """

    __slots__ = ()
    hashes = 0
    held = threading.Event()
    release = threading.Event()

    def __hash__(self) -> int:
        _HeldName.hashes += 1
        if _HeldName.hashes == 2:
            _HeldName.held.set()
            assert _HeldName.release.wait(MEETING_SECONDS)
        return str.__hash__(self)


def test_a_change_while_a_customer_is_cached_is_never_hidden(service: Service) -> None:
    """A reader kept its value after a change invalidated the cache: a stale customer
    (networks included) must not be returned afterwards."""
    service.create_customer("acme", "UTC", "pw")
    store = service._store
    reader = threading.Thread(target=store.customer, args=(_HeldName("acme"),))
    reader.start()
    assert _HeldName.held.wait(MEETING_SECONDS)
    service.set_access("acme", ["10.1.0.0/16"])
    _HeldName.release.set()
    reader.join()
    assert store.customer("acme") is not None
    assert service.customer("acme").networks == ("10.1.0.0/16",)


@on_server
def test_a_change_while_access_is_read_is_never_hidden(service: Service) -> None:
    """The reader has read the networks before they changed; it must not keep them."""
    service.create_customer("acme", "UTC", "pw")
    store: Any = service._store
    read, release = threading.Event(), threading.Event()
    real_rows = store._rows

    def rows(sql: str, params: dict[str, Any] | None = None) -> Any:
        found = real_rows(sql, params)
        if "customer_access" in sql and threading.current_thread().name == "reader":
            read.set()
            assert release.wait(MEETING_SECONDS)
        return found

    store._rows = rows
    reader = threading.Thread(target=store.customer, args=("acme",), name="reader")
    reader.start()
    assert read.wait(MEETING_SECONDS)
    service.set_access("acme", ["10.1.0.0/16"])
    release.set()
    reader.join()
    assert service.customer("acme").networks == ("10.1.0.0/16",)


class _HeldClient:
    """A connection of the pool that holds the thread named ``writer`` after it read the
    ids of the customer's projects (the check of a batch that registers projects)."""

    def __init__(self, client: Any, read: threading.Event, release: threading.Event) -> None:
        self._client, self._read, self._release = client, read, release

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        found = self._client.execute(sql, *args, **kwargs)
        if "SELECT DISTINCT project_id FROM projects" in sql and \
                threading.current_thread().name == "writer":
            self._read.set()
            assert self._release.wait(MEETING_SECONDS)
        return found


@on_server
def test_a_batch_never_renames_a_project_created_while_it_registered(service: Service) -> None:
    """A batch with project 7 finds it unknown; the project is created meanwhile; the
    batch's registration ("Project 7") must not replace what was created."""
    service.create_customer("acme", "UTC", "pw")
    store: Any = service._store
    read, release = threading.Event(), threading.Event()
    pool = store._pool
    real_connection = pool.connection

    @contextlib.contextmanager
    def connection() -> Iterator[Any]:
        with real_connection() as client:
            yield _HeldClient(client, read, release)

    pool.connection = connection
    batch = ndjson(point("t1", "ticket", "created", 1_718_000_000, project=7))
    writer = threading.Thread(target=service.ingest, args=("acme", batch), name="writer")
    writer.start()
    assert read.wait(MEETING_SECONDS)
    service.create_project("acme", Project(7, "Sales", Status.ACTIVE))
    release.set()
    writer.join()
    assert service.projects("acme") == [Project(7, "Sales", Status.ACTIVE)]
    assert service.event_count("acme") == 1


@on_server
def test_revocations_that_both_wrote_before_checking_are_both_undone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes (two stores here) both read the keys, then both write their
    revocations, before either checks: both must find no admin key left, write
    their key back and refuse."""
    from ccstats.store import clickhouse_keys  # the protocol under test

    url = new_database(tmp_path)
    services = [Service.open(url), Service.open(url)]
    try:
        services[0].create_customer("acme", "UTC", "pw")
        services[0].create_key("acme", ["admin"])
        first, second = _admin_keys(services[0], "acme")
        have_read = threading.Barrier(2, timeout=MEETING_SECONDS)
        have_written = threading.Barrier(2, timeout=MEETING_SECONDS)
        real_change = clickhouse_keys._change

        def change(client: Any, customer_id: int, state: Any, revoked: bool) -> None:
            if revoked:
                have_read.wait()
            real_change(client, customer_id, state, revoked)
            if revoked:
                have_written.wait()

        monkeypatch.setattr(clickhouse_keys, "_change", change)
        outcomes = run_together(lambda: services[0].revoke_key("acme", first),
                                lambda: services[1].revoke_key("acme", second))
        assert all(isinstance(o, InvalidRequest) for o in outcomes), outcomes
        _merge_key_rows(url)  # only the latest row of each key is left
        assert _admin_keys(services[0], "acme") == [first, second]
        assert services[0].authenticate("acme", "pw") is not None
    finally:
        for service in services:
            service.close()
        drop_database(url)


def _merge_key_rows(url: str) -> None:
    target = Target.parse(url)
    for host, port in cluster_hosts(target):
        client = target.client(host, port)
        try:
            client.execute(f"OPTIMIZE TABLE {local_name('api_keys', target)} FINAL")
        finally:
            client.disconnect()


def _processes(url: str, *commands: list[str]) -> list[dict[str, Any]]:
    """Run one `race_worker.py` per command; all read before any of them changes."""
    here = Path(__file__).resolve().parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(ccstats.__file__).resolve().parents[1]), str(here)])}
    workers = [subprocess.Popen([sys.executable, str(here / "race_worker.py"), url, *command],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                env=env) for command in commands]
    try:
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline() == "ready\n"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        found = [orjson.loads(worker.communicate(timeout=120)[0]) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    return found


@on_server
@pytest.mark.parametrize("creators", [2, 4])
def test_processes_creating_one_customer_get_one_customer(url: str, creators: int) -> None:
    outcomes = _processes(url, *[["create_customer", "acme"]] * creators)
    created = [o["ok"] for o in outcomes if "ok" in o]
    assert len(created) == 1, outcomes
    assert all("already exists" in o.get("refused", "") or "being created" in o.get("busy", "")
               for o in outcomes if "ok" not in o), outcomes
    service = Service.open(url)
    try:
        assert len(service.keys("acme")) == 1
        assert service.authenticate("acme", created[0]) is not None
        assert [c.name for c in service.customers()] == ["acme"]
    finally:
        service.close()


@on_server
def test_processes_revoking_the_last_two_admin_keys_leave_one(url: str) -> None:
    service = Service.open(url)
    try:
        service.create_customer("acme", "UTC", "pw")
        service.create_key("acme", ["admin"])
        first, second = _admin_keys(service, "acme")
    finally:
        service.close()
    outcomes = _processes(url, ["revoke_key", "acme", first], ["revoke_key", "acme", second])
    assert all("ok" in o or "last key with the admin scope" in o["refused"]
               for o in outcomes), outcomes
    service = Service.open(url)
    try:
        remaining = _admin_keys(service, "acme")
    finally:
        service.close()
    kept = [key for key, o in zip([first, second], outcomes, strict=True) if "ok" not in o]
    assert remaining == kept and remaining
