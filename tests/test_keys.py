"""API keys in the store: one slow hash per login attempt, keys in the order they were added."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from backends import ON_CLICKHOUSE
from ccstats import keys
from ccstats.model import ALL_SCOPES, ApiKey, Scope
from ccstats.service import MAX_KEYS, Service


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """The salts of every slow hash computed while the test runs (the real hash is run)."""
    salts: list[bytes] = []
    real_digest = keys.digest

    def counting_digest(password: str, salt: bytes) -> bytes:
        salts.append(salt)
        return real_digest(password, salt)

    monkeypatch.setattr(keys, "digest", counting_digest)
    yield salts


def _fill_with_keys(service: Service, customer: str, count: int) -> list[ApiKey]:
    """Add `count` keys (hashed once: they share a salt and digest) whose ids sort before
    every generated id, so that an order by id would put them first."""
    template = keys.new_key("another-password", (Scope.READ,))
    added = [dataclasses.replace(template, key_id=f"0000{i:04d}") for i in range(count)]
    customer_id = service.customer(customer).customer_id
    for key in added:
        service._store.add_key(customer_id, key)
    return added


def test_a_login_attempt_costs_one_slow_hash_however_many_keys(
        service: Service, hashed: list[bytes]) -> None:
    service.create_customer("acme", "UTC", "chosen-password")
    generated, secret = service.create_key("acme", ["read"])
    _fill_with_keys(service, "acme", MAX_KEYS - 2)
    assert len(service.keys("acme")) == MAX_KEYS
    [first] = service.keys("acme")[:1]

    attempts = {
        "the chosen password": ("chosen-password", True),
        "a wrong password": ("wrong", False),
        "a password with a dot that names no key": ("nokey.secret", False),
        "a generated key": (secret, True),
        "a generated key's id with a wrong secret": (f"{generated.key_id}.wrong", False),
    }
    for what, (password, valid) in attempts.items():
        hashed.clear()
        found = service.authenticate("acme", password)
        assert (found is not None) == valid, what
        assert len(hashed) == 1, what
    hashed.clear()
    assert service.authenticate("nobody", "chosen-password") is None
    assert len(hashed) == 1

    hashed.clear()
    found = service.authenticate("acme", "chosen-password")
    assert found is not None and found[1].scopes == ALL_SCOPES and hashed == [first.salt]
    hashed.clear()
    assert service.authenticate("acme", secret) is not None and hashed == [generated.salt]


def test_keys_are_listed_in_the_order_they_were_added(service: Service) -> None:
    service.create_customer("acme", "UTC", "chosen-password")
    made = [service.create_key("acme", ["read"])[0].key_id for _ in range(3)]
    added = [key.key_id for key in _fill_with_keys(service, "acme", 3)]
    listed = [key.key_id for key in service.keys("acme")]
    assert listed[1:] == made + added
    service.revoke_key("acme", made[1])
    assert [key.key_id for key in service.keys("acme")] == [listed[0], made[0], made[2], *added]


@pytest.mark.skipif(ON_CLICKHOUSE, reason="a DuckDB file made by an older version")
def test_a_database_made_before_keys_were_ordered_keeps_its_chosen_password(
        tmp_path: Path) -> None:
    """Its keys are numbered in table order when it opens: the chosen key was added first."""
    path = tmp_path / "old.duckdb"
    service = Service.open(str(path))
    try:
        service.create_customer("acme", "UTC", "chosen-password")
        _fill_with_keys(service, "acme", 5)
    finally:
        service.close()
    with duckdb.connect(str(path)) as db:  # the layout before keys had an order
        db.execute("ALTER TABLE api_keys DROP COLUMN created")
        db.execute("DROP SEQUENCE api_key_order")
    service = Service.open(str(path))
    try:
        assert service.authenticate("acme", "chosen-password") is not None
        assert [k.key_id for k in service.keys("acme")][1:] == [f"0000{i:04d}" for i in range(5)]
    finally:
        service.close()
