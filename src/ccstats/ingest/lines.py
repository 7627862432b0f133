"""Cutting NDJSON bytes into numbered lines without a Python loop per line.

A block of bytes becomes an Arrow table ``(line_no int64, raw string)`` whose
strings are views into the block: newline positions are found with numpy and
used directly as Arrow offsets, so a gigabyte of events costs a few scans of
memory, not ten million Python objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

#: Size of one block read from a file (blocks always end at a line boundary).
BLOCK_BYTES = 64 * 1024 * 1024

LINES_SCHEMA = pa.schema([("line_no", pa.int64()), ("raw", pa.large_string())])


@dataclass(frozen=True, slots=True)
class LineBlock:
    """Complete lines of one input, numbered from ``first_line`` (1-based)."""

    table: pa.Table
    first_line: int
    byte_count: int


class InvalidUtf8(ValueError):
    """A line of the input is not UTF-8 text."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line}: not UTF-8 text")
        self.line = line


def block_to_table(block: bytes, first_line: int) -> pa.Table:
    """Number the lines of `block` (complete lines; a final line may lack its newline).

    Raises InvalidUtf8 naming the first line that is not UTF-8.
    """
    data = np.frombuffer(block, dtype=np.uint8)
    newlines = np.flatnonzero(data == 0x0A)
    ends = newlines + 1
    if len(block) and (len(newlines) == 0 or newlines[-1] != len(block) - 1):
        ends = np.append(ends, len(block))
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    count = len(offsets) - 1
    strings = pa.LargeStringArray.from_buffers(
        count, pa.py_buffer(offsets.tobytes()), pa.py_buffer(block)
    )
    try:
        strings.validate(full=True)
    except pa.ArrowInvalid:
        raise InvalidUtf8(first_line + _first_bad_line(block)) from None
    numbers = pa.array(np.arange(first_line, first_line + count, dtype=np.int64))
    return pa.Table.from_arrays([numbers, strings], schema=LINES_SCHEMA)


def _first_bad_line(block: bytes) -> int:
    for index, line in enumerate(block.split(b"\n")):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return index
    return 0


def blocks_of(chunks: Iterable[bytes]) -> Iterator[LineBlock]:
    """Re-cut arbitrary byte chunks into blocks that end on line boundaries."""
    pending = b""
    line = 1
    for chunk in chunks:
        data = pending + chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            pending = data
            continue
        block, pending = data[:cut], data[cut:]
        table = block_to_table(block, line)
        line += table.num_rows
        yield LineBlock(table, table.column(0)[0].as_py(), len(block))
    if pending:
        table = block_to_table(pending, line)
        yield LineBlock(table, line, len(pending))


def read_file(path: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[bytes]:
    """The bytes of `path` in chunks of about `block_bytes`."""
    with path.open("rb") as handle:
        while chunk := handle.read(block_bytes):
            yield chunk
