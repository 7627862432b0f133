"""`ccstats.api.upload_spool`: parts laid into the declared files, idle uploads expiring,
and the folders of ended servers removed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ccstats.api.upload_spool import Declared, TooManyUploads, Uploads, spool_root
from ccstats.errors import InvalidRequest, NotFound, StoreUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def declared(*sizes: int) -> Declared:
    return Declared("acme", "ndjson", False,
                    tuple((f"f{n}", size) for n, size in enumerate(sizes)))


def test_parts_fill_the_declared_files_one_after_the_other(tmp_path: Path) -> None:
    uploads = Uploads(tmp_path / "root")
    upload = uploads.open(declared(3, 0, 5))
    with uploads.held(upload.upload_id, "acme") as found:
        found.append(1, b"ab")
        found.append(2, b"cde")
        with pytest.raises(InvalidRequest, match="expected part 3"):
            found.append(4, b"f")
        with pytest.raises(InvalidRequest, match="more than the 8 declared"):
            found.append(3, b"fghij")
        assert not found.complete
        found.append(3, b"fgh")
        assert found.complete
    assert [path.read_bytes() for path in upload.paths] == [b"abc", b"", b"defgh"]
    uploads.close()
    assert not (tmp_path / "root").exists()


def test_an_upload_larger_than_the_free_space_is_refused_and_nothing_stays(
        tmp_path: Path) -> None:
    """More than the free space: unavailable now (retry later); more than the whole disk:
    the request is wrong (naming ``files``). Neither leaves a folder behind."""
    uploads = Uploads(tmp_path / "root")
    disk = shutil.disk_usage(tmp_path)
    with pytest.raises(StoreUnavailable, match="no room"):
        uploads.open(declared(disk.free + 1))
    with pytest.raises(InvalidRequest, match="more than the server's disk holds") as refused:
        uploads.open(declared(disk.total, 1))
    assert refused.value.errors[0].param == "files"
    folder = uploads.open(declared(1)).folder
    assert [path for path in folder.parent.iterdir() if path.is_dir()] == [folder]
    uploads.close()


def test_idle_uploads_expire_and_ids_are_per_customer(tmp_path: Path) -> None:
    clock = Clock()
    uploads = Uploads(tmp_path, idle_seconds=60, max_open=2, clock=clock)
    idle, busy = uploads.open(declared(1)), uploads.open(declared(1))
    with pytest.raises(TooManyUploads):
        uploads.open(declared(1))
    with pytest.raises(NotFound), uploads.held(busy.upload_id, "globex"):
        pass
    clock.now += 40
    with uploads.held(busy.upload_id, "acme"):
        pass
    clock.now += 30
    with pytest.raises(NotFound, match="idle for 60 s"), uploads.held(idle.upload_id, "acme"):
        pass
    assert not idle.folder.exists() and busy.folder.exists()
    uploads.open(declared(1))  # the expired one no longer counts
    uploads.close()


def test_a_starting_server_removes_only_the_folders_of_ended_ones(tmp_path: Path) -> None:
    running = Uploads(tmp_path)
    mine = running.open(declared(1))
    ended = tmp_path / "server-ended"
    ended.mkdir()
    (ended / ".lock").touch()
    Uploads(tmp_path).start()
    assert not ended.exists() and mine.folder.exists()
    running.close()


def test_the_spool_root_is_beside_a_duckdb_file_else_temporary(tmp_path: Path) -> None:
    assert spool_root(str(tmp_path / "x.duckdb")) == tmp_path / "x.duckdb.uploads"
    assert spool_root(f"duckdb://{tmp_path}/y.db") == tmp_path / "y.db.uploads"
    assert spool_root("clickhouse://h:9000/db").name == "ccstats-uploads"
    assert spool_root().name == "ccstats-uploads"
