"""Cutting files into numbered lines: every line whole, once, in order, at any block size;
blank lines counted and numbered but left out; a byte-order mark skipped at the start."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ccstats.ingest.lines import BOM, LineBlock, block_to_table, file_blocks, skip_bom

_LINE = st.one_of(
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"x")),
    st.sampled_from([b"", b" ", b"\t\r", b"\r", b" \t {}", b"{} \r", b"\xef\xbb\xbf{}"]),
)


def _expected(data: bytes) -> tuple[list[tuple[int, bytes]], int]:
    """The lines of `data` that are not blank, numbered, and how many lines it has."""
    lines = data.removeprefix(BOM).split(b"\n")
    if data.endswith(b"\n") or not lines[-1]:
        lines.pop()
    return ([(number, line) for number, line in enumerate(lines, 1)
             if line.strip(b" \t\r")], len(lines))


def _lines_of(blocks: list[LineBlock]) -> tuple[list[tuple[int, bytes]], int]:
    """The lines the blocks hold (UTF-8 text or not), numbered, and how many they count.

    A line's string runs on over the blank lines after it: only its first line is it.
    """
    found: list[tuple[int, bytes]] = []
    for block in blocks:
        numbers = block.table.column("line_no").to_pylist()
        texts = [t.encode() for t in block.table.column("raw").to_pylist()]
        found += zip(numbers, texts, strict=True)
        found += block.not_utf8
    return ([(n, t.partition(b"\n")[0]) for n, t in sorted(found)],
            sum(block.line_count for block in blocks))


def _check(lines: list[bytes], final_newline: bool, bom: bool, block_bytes: int) -> None:
    data = (BOM if bom else b"") + b"\n".join(lines) + (
        b"\n" if final_newline and lines else b"")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.ndjson"
        path.write_bytes(data)
        blocks = list(file_blocks(path, block_bytes))
    assert _lines_of(blocks) == _expected(data)
    assert sum(block.byte_count for block in blocks) == len(data)
    assert _lines_of([block_to_table(data, 1, skip_bom(data))]) == _expected(data)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(_LINE, max_size=30), final_newline=st.booleans(), bom=st.booleans(),
       block_bytes=st.integers(1, 64))
def test_file_blocks_keep_every_line_once_in_order(lines: list[bytes], final_newline: bool,
                                                   bom: bool, block_bytes: int) -> None:
    _check(lines, final_newline, bom, block_bytes)


#: Lines of which most are blank, some indented: such blocks are cut from their
#: bytes that are not whitespace.
_MOSTLY_BLANK = st.one_of(st.sampled_from([b"", b" ", b"\r", b"\t \r"]), _LINE,
                          st.integers(0, 80).map(lambda n: b" " * n + b"{}"))


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(_MOSTLY_BLANK, max_size=60), final_newline=st.booleans(),
       bom=st.booleans(), block_bytes=st.integers(1, 400))
def test_blocks_of_mostly_blank_lines_keep_every_line_once_in_order(
        lines: list[bytes], final_newline: bool, bom: bool, block_bytes: int) -> None:
    _check(lines, final_newline, bom, block_bytes)


def test_blank_lines_are_counted_and_numbered_but_never_reach_the_table() -> None:
    event = b'{"id": "e"}'
    data = event + b"\n" * 2_000_000 + b"  \r\n\t\n" * 1_000 + event + b"\n\n"
    block = block_to_table(data, 1)
    assert block.table.num_rows == 2  # what the validator gets: the two events
    assert block.table.column("line_no").to_pylist() == [1, 2_002_001]
    assert block.line_count == 2_002_002
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.ndjson"
        path.write_bytes(data)
        blocks = list(file_blocks(path, 1_000_000))
    assert sum(b.table.num_rows for b in blocks) == 2
    assert _lines_of(blocks) == ([(1, event), (2_002_001, event)], 2_002_002)


def test_a_byte_order_mark_is_skipped_only_at_the_start() -> None:
    data = BOM + b'{"id": "a"}\n' + BOM + b'{"id": "b"}\n'
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.ndjson"
        path.write_bytes(data)
        for block_bytes in (1, 2, 64):
            blocks = list(file_blocks(path, block_bytes))
            assert _lines_of(blocks) == ([(1, b'{"id": "a"}'), (2, BOM + b'{"id": "b"}')], 2)
