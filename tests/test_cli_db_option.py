"""Which database a command uses: `--db` after the command, before it, env, default.

The command's own ``--db`` wins over one given before the command name
(``ccstats --db URL import ...``), which wins over ``CCSTATS_DB``, which wins
over ``ccstats.duckdb`` in the current folder. Commands run as a user runs
them, in a folder of their own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ccstats

CCSTATS = Path(sys.executable).parent / "ccstats"
#: Commands run in another folder import the code under test.
SOURCES = str(Path(ccstats.__file__).parents[1])
EVENT = (b'{"id":"e1","type":"userstate","state":"available","start":1717200000,'
         b'"end":1717200060,"projectId":3,"userId":4}\n')


def run(folder: Path, *args: str, env_db: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "CCSTATS_DB"}
    env["PYTHONPATH"] = SOURCES
    if env_db is not None:
        env["CCSTATS_DB"] = env_db
    return subprocess.run([str(CCSTATS), *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def customers(folder: Path, db: str) -> list[str]:
    listed = run(folder, "customer", "list", "--db", db)
    assert listed.returncode == 0, listed.stderr
    return [line.split("\t")[0] for line in listed.stdout.splitlines()]


def test_db_before_the_command_is_used_and_the_commands_own_wins(tmp_path: Path) -> None:
    (tmp_path / "events.ndjson").write_bytes(EVENT)
    created = run(tmp_path, "--db", "before.duckdb", "customer", "create", "acme",
                  "--password", "pw")
    assert created.returncode == 0, created.stderr
    imported = run(tmp_path, "--db", "before.duckdb", "import", "events.ndjson",
                   "--customer", "acme")
    assert imported.returncode == 0, imported.stderr
    assert "stored 1 events" in imported.stdout
    assert customers(tmp_path, "before.duckdb") == ["acme"]
    listed = run(tmp_path, "--db", "before.duckdb", "project", "list", "--customer", "acme")
    assert listed.stdout == "3\tactive\tProject 3\n"

    assert run(tmp_path, "--db", "before.duckdb", "customer", "create", "other",
               "--db", "after.duckdb").returncode == 0
    assert customers(tmp_path, "after.duckdb") == ["other"]
    assert customers(tmp_path, "before.duckdb") == ["acme"]
    assert not (tmp_path / "ccstats.duckdb").exists()


def test_db_before_the_command_wins_over_the_environment_and_that_over_the_default(
        tmp_path: Path) -> None:
    assert run(tmp_path, "--db", "before.duckdb", "customer", "create", "acme",
               env_db="env.duckdb").returncode == 0
    assert run(tmp_path, "customer", "create", "other", env_db="env.duckdb").returncode == 0
    assert customers(tmp_path, "before.duckdb") == ["acme"]
    assert customers(tmp_path, "env.duckdb") == ["other"]
    assert not (tmp_path / "ccstats.duckdb").exists()
    assert run(tmp_path, "customer", "create", "third").returncode == 0
    assert customers(tmp_path, "ccstats.duckdb") == ["third"]


def test_db_before_copy_is_refused(tmp_path: Path) -> None:
    refused = run(tmp_path, "--db", "x.duckdb", "copy", "--customer", "acme",
                  "--from", "a.duckdb", "--to", "b.duckdb")
    assert refused.returncode == 2 and "--db does not apply" in refused.stderr
    assert list(tmp_path.iterdir()) == []
