"""Uploads in parts: where an import sent to a running server waits on the server's disk
until it is committed (`ccstats.api.operator_imports`).

An upload declares its files (a name and a size each) when it is opened. Its parts
follow in order, 1, 2, ...; their bytes fill the declared files one after the
other, each into a file of its own in the upload's folder. Nothing of an upload
is in the database until it is committed; a part that does not fit on the disk is
undone whole (`StoreUnavailable`).

Limits: at most `MAX_OPEN` uploads are open at once; an upload that no request
touched for `IDLE_SECONDS` expires and is removed. Each server spools into a
folder of its own below a root (by default beside the DuckDB file, else in the
temporary folder), which it holds locked while it runs and removes when it stops;
a server that starts removes the folders of servers that have ended without
removing theirs (their locks are free).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ccstats.errors import InvalidRequest, NotFound, StoreUnavailable, bad_arguments

IDLE_SECONDS = 3600.0
MAX_OPEN = 8
_LOCK = ".lock"
_FOLDER_PREFIX = "server-"


def spool_root(db: str | None = None) -> Path:
    """Where the servers of database `db` spool: beside a DuckDB file, else (or without
    `db`) in the temporary folder (env TMPDIR)."""
    path = (db or "").removeprefix("duckdb://")
    if "://" in path or path in ("", ":memory:"):
        return Path(tempfile.gettempdir()) / "ccstats-uploads"
    return Path(f"{path}.uploads")


class TooManyUploads(Exception):
    """`MAX_OPEN` uploads are open already."""


@dataclass(frozen=True, slots=True)
class Declared:
    """What an upload was opened for: a customer's import of these files."""

    customer: str
    format: str
    skip_invalid: bool
    files: tuple[tuple[str, int], ...]
    """(name, size in bytes) of each file, in the order of the import."""

    @property
    def size(self) -> int:
        return sum(size for _, size in self.files)


class Upload:
    """One upload: its declaration, the parts received so far and their spooled files.

    Callers hold `lock` while they append, commit or abandon it; `gone` is set, under
    it, once the upload was committed, abandoned or expired.
    """

    def __init__(self, upload_id: str, declared: Declared, folder: Path, now: float) -> None:
        self.upload_id = upload_id
        self.declared = declared
        self.folder = folder
        self.lock = threading.Lock()
        self.gone = False
        self.parts = 0
        self.received = 0
        self.touched = now
        folder.mkdir()
        for path in self.paths:
            path.touch()

    @property
    def paths(self) -> list[Path]:
        """The spooled files, one per declared file."""
        return [self.folder / str(number) for number in range(len(self.declared.files))]

    @property
    def complete(self) -> bool:
        return self.received == self.declared.size

    def append(self, part: int, data: bytes) -> None:
        """Spool part number `part`, the next one, whose bytes follow those received."""
        if part != self.parts + 1:
            raise InvalidRequest([bad_arguments(
                "part", f"expected part {self.parts + 1}: parts are numbered 1, 2, ... and "
                        f"sent in order, one at a time (part {part} is "
                        f"{'received already' if part <= self.parts else 'too early'})")])
        if not data:
            raise InvalidRequest([bad_arguments("body", "a part holds at least one byte")])
        if self.received + len(data) > self.declared.size:
            raise InvalidRequest([bad_arguments(
                "body", f"the parts would hold {self.received + len(data)} bytes, more than the "
                        f"{self.declared.size} declared when the upload was opened")])
        sizes = [path.stat().st_size for path in self.paths]
        try:
            self._write(data)
        except OSError as error:
            for path, size in zip(self.paths, sizes, strict=True):
                os.truncate(path, size)
            raise StoreUnavailable("the server's disk has no room for the upload",
                                   f"cannot spool the upload in {self.folder}: {error}"
                                   ) from None
        self.parts += 1
        self.received += len(data)

    def _write(self, data: bytes) -> None:
        """Write `data` at the position `received` of the declared files, laid end to end."""
        start = 0
        for path, (_, size) in zip(self.paths, self.declared.files, strict=True):
            if start + size > self.received and data:
                room = start + size - max(self.received, start)
                with path.open("ab") as out:
                    out.write(data[:room])
                data = data[room:]
            start += size


class Uploads:
    """The open uploads of one server, spooled below `root`."""

    def __init__(self, root: Path, idle_seconds: float = IDLE_SECONDS,
                 max_open: int = MAX_OPEN, clock: Callable[[], float] = time.monotonic) -> None:
        self._root = root
        self._idle_seconds = idle_seconds
        self._max_open = max_open
        self._clock = clock
        self._lock = threading.Lock()
        self._open: dict[str, Upload] = {}
        self._folder: Path | None = None
        self._held: IO[bytes] | None = None

    @property
    def max_open(self) -> int:
        return self._max_open

    @property
    def idle_seconds(self) -> float:
        return self._idle_seconds

    def start(self) -> None:
        """Remove the folders that servers which have ended left behind."""
        if not self._root.is_dir():
            return
        for folder in self._root.glob(f"{_FOLDER_PREFIX}*"):
            if folder != self._folder and _unheld(folder):
                shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        """Remove every upload, and this server's folder."""
        with self._lock:
            for upload in self._open.values():
                upload.gone = True
            self._open.clear()
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None
            if self._held is not None:
                self._held.close()
                self._held = None
            with contextlib.suppress(OSError):
                self._root.rmdir()  # (only if no other server spools there)

    def open(self, declared: Declared) -> Upload:
        """A new upload; `TooManyUploads`, or `StoreUnavailable` if the disk lacks room."""
        self.expire()
        with self._lock:
            if len(self._open) >= self._max_open:
                raise TooManyUploads
            folder = self._own_folder()
            _check_room(declared.size, folder)
            upload_id = secrets.token_hex(16)
            upload = Upload(upload_id, declared, folder / upload_id, self._clock())
            self._open[upload_id] = upload
            return upload

    @contextlib.contextmanager
    def held(self, upload_id: str, customer: str) -> Iterator[Upload]:
        """The open upload `upload_id` of `customer`, locked and touched now; `NotFound`
        if there is none (or it went while this request waited for it)."""
        self.expire()
        with self._lock:
            upload = self._open.get(upload_id)
        if upload is None or upload.declared.customer != customer:
            raise self._missing(upload_id, customer)
        with upload.lock:
            if upload.gone:
                raise self._missing(upload_id, customer)
            upload.touched = self._clock()
            yield upload

    def _missing(self, upload_id: str, customer: str) -> NotFound:
        return NotFound(f"no open upload {upload_id} of customer {customer}: it was "
                        f"committed, abandoned, or idle for {self._idle_seconds:g} s", "upload")

    def take(self, upload: Upload) -> None:
        """Make `upload` unreachable, its files kept (the caller holds its lock)."""
        with self._lock:
            self._open.pop(upload.upload_id, None)
        upload.gone = True

    def remove(self, upload: Upload) -> None:
        """Make `upload` unreachable and delete its files (the caller holds its lock)."""
        self.take(upload)
        shutil.rmtree(upload.folder, ignore_errors=True)

    def expire(self) -> None:
        """Remove the uploads idle for longer than the limit (not one in use)."""
        deadline = self._clock() - self._idle_seconds
        with self._lock:
            idle = [found for found in self._open.values() if found.touched < deadline]
        for upload in idle:
            if upload.lock.acquire(blocking=False):
                try:
                    if upload.touched < deadline:
                        self.remove(upload)
                finally:
                    upload.lock.release()

    def _own_folder(self) -> Path:
        """This server's folder, made and locked at its first upload."""
        if self._folder is None:
            self._root.mkdir(parents=True, exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix=_FOLDER_PREFIX, dir=self._root))
            held = (folder / _LOCK).open("wb")
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._folder, self._held = folder, held
        return self._folder


def _check_room(size: int, folder: Path) -> None:
    """`InvalidRequest` naming ``files`` if `size` bytes exceed the whole disk of `folder`
    (they could never be spooled), `StoreUnavailable` if they exceed its free space now."""
    disk = shutil.disk_usage(folder)
    if size > disk.total:
        raise InvalidRequest([bad_arguments(
            "files", f"the files declare {size} bytes in all, more than the server's disk "
                     f"holds ({disk.total} bytes)")])
    if size > disk.free:
        raise StoreUnavailable("the server's disk has no room for the upload",
                               f"{size} bytes declared, {disk.free} free in {folder}")

def _unheld(folder: Path) -> bool:
    """Whether no running server holds `folder` (its lock file is free, or missing)."""
    try:
        with (folder / _LOCK).open("rb") as probe:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
    except FileNotFoundError:
        return True
    except OSError:
        return False
