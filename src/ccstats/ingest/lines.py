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
    """Complete lines of one input, numbered from ``first_line`` (1-based).

    Lines that are not UTF-8 text are blank in `table` and listed, with their
    bytes, in `not_utf8`.
    """

    table: pa.Table
    first_line: int
    byte_count: int
    not_utf8: tuple[tuple[int, bytes], ...] = ()


def block_to_table(block: bytes, first_line: int) -> LineBlock:
    """Number the lines of `block` (complete lines; a final line may lack its newline)."""
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
    not_utf8: list[tuple[int, bytes]] = []
    try:
        strings.validate(full=True)
    except pa.ArrowInvalid:
        strings, not_utf8 = _blank_non_utf8(block, first_line)
    numbers = pa.array(np.arange(first_line, first_line + count, dtype=np.int64))
    table = pa.Table.from_arrays([numbers, strings], schema=LINES_SCHEMA)
    return LineBlock(table, first_line, len(block), tuple(not_utf8))


def _blank_non_utf8(block: bytes, first_line: int) -> tuple[pa.Array, list[tuple[int, bytes]]]:
    """The lines of `block` with those that are not UTF-8 made blank (the rare slow path)."""
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()
    texts: list[str] = []
    bad: list[tuple[int, bytes]] = []
    for index, line in enumerate(lines):
        try:
            texts.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            texts.append("")
            bad.append((first_line + index, line))
    return pa.array(texts, type=pa.large_string()), bad


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
        found = block_to_table(block, line)
        line += found.table.num_rows
        yield found
    if pending:
        yield block_to_table(pending, line)


def read_file(path: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[bytes]:
    """The bytes of `path` in chunks of about `block_bytes`."""
    with path.open("rb") as handle:
        while chunk := handle.read(block_bytes):
            yield chunk
