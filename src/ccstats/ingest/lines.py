"""Cutting NDJSON bytes into numbered lines without a Python loop per line.

A block of bytes becomes an Arrow table ``(line_no int64, raw string)`` whose
strings are views into the block: newline positions are found with numpy and
used directly as Arrow offsets, so a gigabyte of events costs a few scans of
memory, not ten million Python objects.

Blank lines (nothing but spaces, tabs and CRs) are numbered and counted, but left
out of the table, so that their cost ends here: the string of a line runs on over
the blank lines after it (whitespace after a JSON value changes nothing), and only
lines whose first byte is whitespace are looked at more closely. A block of
mostly blank lines (more lines than bytes that are not whitespace) is cut from
those bytes instead, so that its cost follows them and not its newlines. A UTF-8
byte-order mark at the start of an input is skipped.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ccstats.ingest.bits import pack_flags, set_before

#: Size of one block read from a file (blocks always end at a line boundary).
BLOCK_BYTES = 64 * 1024 * 1024
#: The UTF-8 byte-order mark, skipped where an input starts with it.
BOM = b"\xef\xbb\xbf"

LINES_SCHEMA = pa.schema([("line_no", pa.int64()), ("raw", pa.large_string())])

Offsets = npt.NDArray[np.int64]

#: The bytes JSON takes as whitespace, by value (for a few bytes; `_solid` for many).
_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[list(b" \t\r\n")] = True
_NEWLINE = 0x0A
#: Below this many bytes per line on average, a block is looked at for blank lines.
_SHORTEST_LINE = 16
#: How far back a line's start is looked for a byte at a time, before a search.
_INDENT_STEPS = 64


@dataclass(frozen=True, slots=True)
class LineBlock:
    """Complete lines of one input, numbered from ``first_line`` (1-based).

    `table` holds the lines that are neither blank nor anything but UTF-8 text;
    `line_count` counts every line. Lines that are not UTF-8 text are listed, with
    their bytes, in `not_utf8`. `unit` names what is numbered: the lines of NDJSON,
    or the elements of a JSON array (see `ccstats.ingest.json_array`).
    """

    table: pa.Table
    first_line: int
    line_count: int
    byte_count: int
    not_utf8: tuple[tuple[int, bytes], ...] = ()
    unit: str = "line"


def block_to_table(block: bytes | memoryview, first_line: int, start: int = 0) -> LineBlock:
    """Number the lines of `block` (complete lines; a final line may lack its newline).

    The first line begins at byte `start` (after a byte-order mark, say). The strings
    are views into `block`, which must not change while they are used.
    """
    return _numbered(block, np.frombuffer(block, dtype=np.uint8) == _NEWLINE, first_line, start)


def skip_bom(data: bytes | memoryview) -> int:
    """Where the text of an input begins: after its byte-order mark, if it has one."""
    return len(BOM) if bytes(data[:len(BOM)]) == BOM else 0


def blank_spans(data: npt.NDArray[np.uint8], starts: Offsets, ends: Offsets
                ) -> npt.NDArray[np.bool_]:
    """Which of the spans ``data[starts[i]:ends[i]]`` (sorted, not overlapping) hold
    nothing but whitespace.

    Only the spans whose first byte is whitespace are scanned further, in one pass
    over the bytes from the first of them to the end of the last.
    """
    blank = starts >= ends
    maybe = np.flatnonzero(~blank)
    maybe = maybe[_WHITESPACE[data[starts[maybe]]]]
    if len(maybe):
        low, high = int(starts[maybe[0]]), int(ends[maybe[-1]])
        solid = np.append(_solid(data[low:high]), False)
        # [start, end) of each span, and between them the gaps, whose results are dropped
        bounds = np.empty(2 * len(maybe), dtype=np.int64)
        bounds[0::2] = starts[maybe] - low
        bounds[1::2] = ends[maybe] - low
        blank[maybe] = ~np.logical_or.reduceat(solid, bounds)[0::2]
    return blank


def _solid(data: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Which bytes of `data` are not whitespace."""
    solid: npt.NDArray[np.bool_] = data != ord(" ")
    for byte in b"\t\r\n":
        solid &= data != byte
    return solid


def numbered_strings(block: bytes | memoryview, offsets: Offsets, numbers: Offsets,
                     first_line: int, line_count: int, unit: str = "line") -> LineBlock:
    """The strings ``block[offsets[i]:offsets[i + 1]]``, numbered by `numbers`, as a
    `LineBlock`; those that are not UTF-8 text go to its `not_utf8`."""
    count = len(numbers)
    strings = pa.LargeStringArray.from_buffers(
        count, pa.py_buffer(offsets.tobytes()), pa.py_buffer(block))
    not_utf8: list[tuple[int, bytes]] = []
    try:
        strings.validate(full=True)
    except pa.ArrowInvalid:
        strings, numbers, not_utf8 = _without_non_utf8(block, offsets, numbers)
    # (from its buffer: `pa.array` of a numpy array imports pandas, when installed, on
    # first use, which takes half a second before the first block can be validated)
    line_numbers = pa.Array.from_buffers(pa.int64(), len(numbers), [
        None, pa.py_buffer(np.ascontiguousarray(numbers, dtype=np.int64))])
    table = pa.Table.from_arrays([line_numbers, strings], schema=LINES_SCHEMA)
    return LineBlock(table, first_line, line_count, len(block), tuple(not_utf8), unit)


def _numbered(block: bytes | memoryview, newline: npt.NDArray[np.bool_], first_line: int,
              start: int = 0) -> LineBlock:
    """`block_to_table`, given which bytes of `block` are newlines."""
    data = np.frombuffer(block, dtype=np.uint8)
    size = len(data)
    count = int(np.count_nonzero(newline))
    line_count = count + int(size > start and data[-1] != _NEWLINE)
    if count * _SHORTEST_LINE > size - start:  # blank lines, probably
        solid = _solid(data)
        solid[:start] = False
        if np.count_nonzero(solid) < count:
            return _mostly_blank(block, data, newline, solid, first_line, line_count, start)
    offsets = np.empty(line_count + 1, dtype=np.int64)
    offsets[0] = start
    np.add(np.flatnonzero(newline), 1, out=offsets[1:count + 1])
    offsets[-1] = size
    numbers = np.arange(first_line, first_line + line_count, dtype=np.int64)
    # (no line is empty: only one whose first byte is whitespace may be blank)
    maybe = np.flatnonzero(_WHITESPACE[data[offsets[:-1]]])
    blank = maybe[blank_spans(data, offsets[maybe], offsets[maybe + 1])]
    if len(blank):
        # each kept line runs on to the next kept one: over the blank lines between them
        kept = np.ones(line_count + 1, dtype=bool)
        kept[blank] = False
        offsets = offsets[kept]
        numbers = numbers[kept[:-1]]
    return numbered_strings(block, offsets, numbers, first_line, line_count)


def _mostly_blank(block: bytes | memoryview, data: npt.NDArray[np.uint8],
                  newline: npt.NDArray[np.bool_], solid: npt.NDArray[np.bool_],
                  first_line: int, line_count: int, start: int) -> LineBlock:
    """`_numbered` of a block with fewer bytes that are not whitespace (`solid`) than
    lines: its lines that are not blank are found from those bytes.

    A solid byte begins a line that is not blank when a newline lies between it and
    the solid byte before it; the newlines before it number the line.
    """
    at = np.flatnonzero(solid)
    if len(at):
        begins = np.concatenate(([True], np.logical_or.reduceat(newline, at)[:-1]))
        firsts = at[begins]
    else:
        firsts = at.astype(np.int64)
    offsets = np.append(_line_starts(data, firsts, start), len(data))
    return numbered_strings(block, offsets, first_line + set_before(pack_flags(newline), firsts),
                            first_line, line_count)


def _line_starts(data: npt.NDArray[np.uint8], firsts: Offsets, start: int) -> Offsets:
    """Where the lines begin whose first bytes that are not whitespace are at `firsts`:
    after the newline before them, or at `start` when none comes before."""
    starts = firsts.copy()
    pending = np.flatnonzero(starts > start)
    for _ in range(_INDENT_STEPS):  # one byte back at a time, for all lines at once
        pending = pending[data[starts[pending] - 1] != _NEWLINE]
        starts[pending] -= 1
        pending = pending[starts[pending] > start]
        if not len(pending):
            return starts
    text = data.tobytes()
    for line in pending.tolist():  # the rare lines indented further
        starts[line] = max(text.rfind(b"\n", start, int(starts[line])) + 1, start)
    return starts


def _without_non_utf8(block: bytes | memoryview, offsets: Offsets, numbers: Offsets
                      ) -> tuple[pa.Array, Offsets, list[tuple[int, bytes]]]:
    """The strings that are UTF-8 text with their numbers, and the others (the rare slow
    path)."""
    data = bytes(block)
    texts: list[str] = []
    good: list[int] = []
    bad: list[tuple[int, bytes]] = []
    for index, number in enumerate(numbers.tolist()):
        raw = data[offsets[index]:offsets[index + 1]]
        try:
            texts.append(raw.decode("utf-8"))
            good.append(number)
        except UnicodeDecodeError:
            bad.append((number, raw))
    return (pa.array(texts, type=pa.large_string()), np.array(good, dtype=np.int64), bad)


def file_blocks(path: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[LineBlock]:
    """The lines of `path` in blocks of about `block_bytes` (a byte-order mark skipped).

    Each block is read straight into a buffer of its own, behind the unfinished
    line the previous one left over: the bytes are copied once, from the file,
    and not again to join or cut them (each copy, and the fresh pages it faults
    in, costs CPU in proportion to the file). The buffer is left uninitialised
    (a `bytearray` would be zeroed first, one more pass over every byte),
    and its newlines are found once, both to cut the block and to number its lines.
    """
    line = 1
    with path.open("rb", buffering=0) as handle:
        pending = _read_head(handle)
        skipped = skip_bom(pending)  # counted with the first block's bytes
        pending = pending[skipped:]
        while True:
            buffer = np.empty(len(pending) + block_bytes, dtype=np.uint8)
            buffer[:len(pending)] = np.frombuffer(pending, dtype=np.uint8)
            view = buffer.data
            filled = len(pending)
            while filled < len(buffer) and (read := handle.readinto(view[filled:])):
                filled += read
            if filled == len(pending):  # the end of the file
                break
            newline = buffer[:filled] == _NEWLINE
            if filled < len(buffer):  # the last block: its last line may lack a newline
                cut = filled
            elif not (cut := _after_last(newline)):  # no line ends in it yet: read on
                pending = bytes(view[:filled])
                continue
            pending = bytes(view[cut:filled])
            found = _numbered(view[:cut], newline[:cut], line)
            line += found.line_count
            yield _with_skipped(found, skipped)
            skipped = 0
    if pending or skipped:
        yield _with_skipped(block_to_table(pending, line), skipped)


def _after_last(newline: npt.NDArray[np.bool_]) -> int:
    """The position after the last newline (0 if there is none), searched from the end."""
    end = len(newline)
    while end > 0:
        begin = max(end - 65_536, 0)
        found = np.flatnonzero(newline[begin:end])
        if len(found):
            return begin + int(found[-1]) + 1
        end = begin
    return 0


def _read_head(handle: io.FileIO) -> bytes:
    """The first bytes of a file, as many as a byte-order mark has (fewer if it is shorter)."""
    head = b""
    while len(head) < len(BOM) and (more := handle.read(len(BOM) - len(head))):
        head += more
    return head


def _with_skipped(block: LineBlock, skipped: int) -> LineBlock:
    if not skipped:
        return block
    return LineBlock(block.table, block.first_line, block.line_count,
                     block.byte_count + skipped, block.not_utf8, block.unit)
