"""Every DuckDB connection of ccstats is opened so that nothing is fetched at run time.

The crash tests (`tests/api/test_offline_reopen.py`) show the effect on a real
write-ahead log; these check the settings themselves, and that no module opens
DuckDB another way.
"""

from __future__ import annotations

import ast
from pathlib import Path

import duckdb
import pytest

from ccstats import duckdb_connect

SOURCES = Path(duckdb_connect.__file__).parent


def test_no_module_opens_duckdb_but_through_duckdb_connect() -> None:
    elsewhere = [
        f"{path.relative_to(SOURCES)}:{node.lineno}"
        for path in sorted(SOURCES.rglob("*.py")) if path.name != "duckdb_connect.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Attribute) and node.attr == "connect"
        and isinstance(node.value, ast.Name) and node.value.id == "duckdb"
    ]
    assert elsewhere == []


@pytest.mark.parametrize("statement", [
    "INSTALL httpfs",
    "LOAD httpfs",
    "SELECT * FROM read_csv('https://example.com/x.csv')",
    "SET enable_external_access = true",
])
def test_a_connection_installs_loads_and_reads_nothing_from_outside(statement: str) -> None:
    with duckdb_connect.connect() as db:
        assert db.execute("SELECT current_setting('autoinstall_known_extensions')"
                          ).fetchall() == [(False,)]
        with pytest.raises(duckdb.Error):
            db.execute(statement)


def test_a_file_connection_spills_to_its_temporary_folder(tmp_path: Path) -> None:
    with duckdb_connect.connect(str(tmp_path / "spill.duckdb")) as db:
        db.execute("SET memory_limit = '64MB'; SET threads = 1")
        rows = db.execute("SELECT count(*) FROM (SELECT md5(range::VARCHAR) AS h "
                          "FROM range(3000000) ORDER BY h)").fetchall()
        assert rows == [(3_000_000,)]
        assert (tmp_path / "spill.duckdb.tmp").is_dir()  # it did spill
