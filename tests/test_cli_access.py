"""`ccstats key` and `ccstats customer set`, run as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ccstats.errors import InvalidRequest
from ccstats.service import MAX_KEYS, Service

CCSTATS = Path(sys.executable).parent / "ccstats"


def ccstats(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CCSTATS), *args, "--db", str(db)], capture_output=True,
                          text=True, timeout=120, check=False)


def test_keys_are_created_listed_checked_and_revoked(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    assert ccstats("customer", "create", "acme", "--password", "admin-pw", db=db).returncode == 0
    created = ccstats("key", "create", "--customer", "acme", "--scopes", "read,write", db=db)
    assert created.returncode == 0, created.stderr
    key_id = created.stdout.split()[1]
    secret = created.stdout.strip().rsplit(" ", 1)[1]
    listed = ccstats("key", "list", "--customer", "acme", db=db).stdout.splitlines()
    assert f"{key_id}\tread,write" in listed and len(listed) == 2
    assert secret not in (tmp_path / "k.duckdb").read_bytes().decode("latin-1")
    service = Service.open(str(db))
    try:
        found = service.authenticate("acme", secret)
        assert found is not None and [str(s) for s in found[1].scopes] == ["read", "write"]
    finally:
        service.close()
    revoked = ccstats("key", "revoke", key_id, "--customer", "acme", db=db)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    service = Service.open(str(db))
    try:
        assert service.authenticate("acme", secret) is None
        assert service.authenticate("acme", "admin-pw") is not None
    finally:
        service.close()


def test_key_mistakes_name_what_to_do(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    ccstats("customer", "create", "acme", "--password", "admin-pw", db=db)
    bad = ccstats("key", "create", "--customer", "acme", "--scopes", "read,root", db=db)
    assert bad.returncode == 2 and "unknown scope 'root'" in bad.stderr
    unknown = ccstats("key", "revoke", "nope", "--customer", "acme", db=db)
    assert unknown.returncode == 2 and "unknown key" in unknown.stderr
    [only] = ccstats("key", "list", "--customer", "acme", db=db).stdout.splitlines()
    last = ccstats("key", "revoke", only.split("\t")[0], "--customer", "acme", db=db)
    assert last.returncode == 2 and "last key with the admin scope" in last.stderr
    assert ccstats("key", "list", "--customer", "nobody", db=db).returncode == 2


def test_customer_set_networks_and_rate_limit(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    ccstats("customer", "create", "acme", "--password", "pw", db=db)
    changed = ccstats("customer", "set", "acme", "--allow", "10.1.2.3, 2001:db8::/32",
                      "--rate-limit", "20", db=db)
    assert changed.returncode == 0, changed.stderr
    assert "10.1.2.3/32,2001:db8::/32" in changed.stdout and "20/s" in changed.stdout
    assert ccstats("customer", "list", db=db).stdout.splitlines() == [
        "acme\tUTC\t10.1.2.3/32,2001:db8::/32\t20/s\tforever"]
    bad = ccstats("customer", "set", "acme", "--allow", "10.0.0.0/40", db=db)
    assert bad.returncode == 2 and "not a network" in bad.stderr
    assert ccstats("customer", "set", "acme", "--rate-limit", "fast", db=db).returncode == 2
    superscript = ccstats("customer", "set", "acme", "--rate-limit", "\u00b9", db=db)
    assert superscript.returncode == 2 and "requests per second" in superscript.stderr
    reset = ccstats("customer", "set", "acme", "--allow", "any", "--rate-limit", "default",
                    db=db)
    assert reset.returncode == 0
    assert ccstats("customer", "list", db=db).stdout.splitlines() == [
        "acme\tUTC\tany\tdefault\tforever"]


def test_customer_set_keep_days(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    ccstats("customer", "create", "acme", "--password", "pw", db=db)
    changed = ccstats("customer", "set", "acme", "--keep-days", "400", db=db)
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.endswith("keeps 400 days\n")
    # the other members stay as they are
    ccstats("customer", "set", "acme", "--rate-limit", "20", db=db)
    assert ccstats("customer", "list", db=db).stdout.splitlines() == [
        "acme\tUTC\tany\t20/s\t400 days"]
    for bad in ("0", "-3", "1.5", "36501", "\u00b9", "always"):
        refused = ccstats("customer", "set", "acme", "--keep-days", bad, db=db)
        assert refused.returncode == 2 and "--keep-days" in refused.stderr, bad
    assert ccstats("customer", "list", db=db).stdout.splitlines() == [
        "acme\tUTC\tany\t20/s\t400 days"]
    assert ccstats("customer", "set", "acme", "--keep-days", "forever", db=db).returncode == 0
    assert ccstats("customer", "list", db=db).stdout.splitlines() == [
        "acme\tUTC\tany\t20/s\tforever"]


def test_a_customer_holds_at_most_max_keys(tmp_path: Path) -> None:
    service = Service.open(str(tmp_path / "k.duckdb"))
    try:
        service.create_customer("acme", "UTC", "pw")
        for _ in range(MAX_KEYS - 1):
            service.create_key("acme", ["read"])
        with pytest.raises(InvalidRequest, match="at most 100 keys"):
            service.create_key("acme", ["read"])
        assert len(service.keys("acme")) == MAX_KEYS
    finally:
        service.close()
