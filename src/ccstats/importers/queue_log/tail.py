"""The complete lines appended to a log file, followed across rotations as ``tail -F`` does.

A log is rotated in one of two ways:

- rename and create (logrotate's default): the file is renamed (``queue_log.1``)
  and the writer starts a new file under the old name. The path then names
  another file (device and inode differ). The old file is kept open and read to
  its end before the new one is read from its beginning; the writer goes on
  appending to the old file until it reopens the log, so the old file is only
  taken as finished once the new one has content. Until then (the new file not
  created yet, or still empty) the old one is read as before.
- copytruncate: the file is copied and then truncated in place. It keeps its
  identity; the bytes before the offset read so far are no longer those read
  (the file is shorter, or was truncated and has grown past the offset since).
  It is read again from its beginning as a new file of the log.

Each file is numbered in the order it was read (0 for the first) and its lines
are numbered from 1 within it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ccstats.importers.queue_log.records import numbered_lines

#: Bytes before the offset compared with those read, to recognise a truncated file that
#: has grown again: enough lines (times, call ids) that another content cannot match.
CHECKED_BYTES = 1024


@dataclass(frozen=True, slots=True)
class Lines:
    """Complete lines of the log's file number `file`, numbered within that file."""

    file: int
    lines: list[tuple[int, str]]


class _OpenFile:
    """One file of the log, open, and how far it was read."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        status = os.fstat(handle.fileno())
        self.identity = (status.st_dev, status.st_ino)
        self.restart()

    def restart(self) -> None:
        self.offset = 0
        self.pending = b""
        self.checked = b""
        self.lines = 0

    def rewritten(self) -> bool:
        """Whether the bytes before the offset are no longer those read (truncated)."""
        if os.fstat(self.handle.fileno()).st_size < self.offset:
            return True
        self.handle.seek(self.offset - len(self.checked))
        return self.handle.read(len(self.checked)) != self.checked

    def read(self, to_end: bool = False) -> list[tuple[int, str]]:
        """The complete lines appended since the last read; with `to_end` also a last line
        without its newline (the file is finished)."""
        self.handle.seek(self.offset)
        appended = self.handle.read()
        self.offset += len(appended)
        self.checked = (self.checked + appended)[-CHECKED_BYTES:]
        data = self.pending + appended
        cut = len(data) if to_end else data.rfind(b"\n") + 1
        self.pending = data[cut:]
        lines = numbered_lines(data[:cut].decode("utf-8", errors="replace"), self.lines + 1)
        self.lines += len(lines)
        return lines


class LogTail:
    """Reads what is appended to the log at `path`, across rotations (`read`)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: _OpenFile | None = None
        self.names: list[str] = []
        """The name of each file read, by number: the log's path, or for a file renamed
        by a rotation the name it had then in the same folder."""

    def read(self) -> list[Lines]:
        """The complete lines appended since the last call, oldest first (none while the
        file is missing)."""
        current = self._file or self._first()
        if current is None:
            return []
        if current.rewritten():
            current.restart()
            self._next_file(f"{self._path} (before truncation)")
        successor = self._successor(current)
        found = [Lines(self._number, current.read(to_end=successor is not None))]
        if successor is not None:
            current.handle.close()
            self._next_file(self._renamed(current))
            self._file = successor
            found.append(Lines(self._number, successor.read()))
        return [piece for piece in found if piece.lines]

    @property
    def _number(self) -> int:
        """The number of the file being read."""
        return len(self.names) - 1

    def _next_file(self, finished_name: str) -> None:
        self.names[-1] = finished_name
        self.names.append(str(self._path))

    def _first(self) -> _OpenFile | None:
        self._file = self._open()
        if self._file is not None:
            self.names.append(str(self._path))
        return self._file

    def close(self) -> None:
        if self._file is not None:
            self._file.handle.close()
            self._file = None

    def _open(self) -> _OpenFile | None:
        try:
            return _OpenFile(self._path.open("rb"))
        except FileNotFoundError:
            return None

    def _successor(self, current: _OpenFile) -> _OpenFile | None:
        """The new file under the log's name once it has content, if the log was renamed."""
        try:
            status = self._path.stat()
        except FileNotFoundError:
            return None
        if (status.st_dev, status.st_ino) == current.identity or not status.st_size:
            return None
        successor = self._open()
        if successor is not None and successor.identity == current.identity:
            successor.handle.close()
            return None
        return successor

    def _renamed(self, finished: _OpenFile) -> str:
        """The name a rotated file now has in the log's folder (logrotate's ``queue_log.1``)."""
        device, inode = finished.identity
        with os.scandir(self._path.parent) as entries:
            for entry in entries:
                try:
                    if entry.inode() == inode and \
                            entry.stat(follow_symlinks=False).st_dev == device:
                        return entry.path
                except OSError:  # removed while the folder was read
                    continue
        return f"{self._path} (rotated)"
