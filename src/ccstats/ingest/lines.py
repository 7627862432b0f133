"""Cutting NDJSON bytes into numbered lines without a Python loop per line.

A block of bytes becomes an Arrow table ``(line_no int64, raw string)`` whose
strings are views into the block: newline positions are found with numpy and
used directly as Arrow offsets, so a gigabyte of events costs a few scans of
memory, not ten million Python objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
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


def block_to_table(block: bytes | memoryview, first_line: int) -> LineBlock:
    """Number the lines of `block` (complete lines; a final line may lack its newline).

    The strings are views into `block`, which must not change while they are used.
    """
    return _numbered(block, np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 0x0A),
                     first_line)


def _numbered(block: bytes | memoryview, newlines: npt.NDArray[np.intp],
              first_line: int) -> LineBlock:
    """`block_to_table`, given the positions of the newlines in `block`."""
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
    # (from its buffer: `pa.array` of a numpy array imports pandas, when installed, on
    # first use, which takes half a second before the first block can be validated)
    numbers = pa.Array.from_buffers(pa.int64(), count, [
        None, pa.py_buffer(np.arange(first_line, first_line + count, dtype=np.int64))])
    table = pa.Table.from_arrays([numbers, strings], schema=LINES_SCHEMA)
    return LineBlock(table, first_line, len(block), tuple(not_utf8))


def _blank_non_utf8(block: bytes | memoryview,
                    first_line: int) -> tuple[pa.Array, list[tuple[int, bytes]]]:
    """The lines of `block` with those that are not UTF-8 made blank (the rare slow path)."""
    block = bytes(block)
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


def file_blocks(path: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[LineBlock]:
    """The lines of `path` in blocks of about `block_bytes`.

    Each block is read straight into a buffer of its own, behind the unfinished
    line the previous one left over: the bytes are copied once, from the file,
    and not again to join or cut them (at a gigabyte, the copies and the fresh
    pages they fault in cost a second of CPU). The buffer is left uninitialised
    (a `bytearray` would be zeroed first: another second of CPU per gigabyte),
    and its newlines are found once, both to cut the block and to number its lines.
    """
    line = 1
    pending = b""
    with path.open("rb", buffering=0) as handle:
        while True:
            buffer = np.empty(len(pending) + block_bytes, dtype=np.uint8)
            buffer[:len(pending)] = np.frombuffer(pending, dtype=np.uint8)
            view = buffer.data
            filled = len(pending)
            while filled < len(buffer) and (read := handle.readinto(view[filled:])):
                filled += read
            if filled == len(pending):  # the end of the file
                break
            newlines = np.flatnonzero(buffer[:filled] == 0x0A)
            if filled < len(buffer):  # the last block: its last line may lack a newline
                cut = filled
            elif len(newlines):
                cut = int(newlines[-1]) + 1
            else:  # no line ends in this buffer yet: read on behind it
                pending = bytes(view[:filled])
                continue
            pending = bytes(view[cut:filled])
            found = _numbered(view[:cut], newlines, line)
            line += found.table.num_rows
            yield found
    if pending:
        yield block_to_table(pending, line)
