"""Cutting files into numbered lines: every line whole, once, in order, at any block size."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ccstats.ingest.lines import LineBlock, block_to_table, file_blocks

_LINE = st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"x"))


def _expected(data: bytes) -> list[tuple[int, bytes]]:
    lines = data.split(b"\n")
    if data.endswith(b"\n") or not data:
        lines.pop()
    return [(number, line + b"\n") for number, line in enumerate(lines, 1)]


def _lines_of(blocks: list[LineBlock]) -> list[tuple[int, bytes]]:
    found: list[tuple[int, bytes]] = []
    for block in blocks:
        numbers = block.table.column("line_no").to_pylist()
        texts = [t.encode() for t in block.table.column("raw").to_pylist()]
        blanked = dict(block.not_utf8)
        for number, text in zip(numbers, texts, strict=True):
            found.append((number, blanked[number] + b"\n" if number in blanked else text))
    return found


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(_LINE, max_size=30), final_newline=st.booleans(),
       block_bytes=st.integers(1, 64))
def test_file_blocks_keep_every_line_once_in_order(lines: list[bytes], final_newline: bool,
                                                   block_bytes: int) -> None:
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.ndjson"
        path.write_bytes(data)
        blocks = list(file_blocks(path, block_bytes))
    # a last line without its newline is given as it is; compare with one added
    found = [(n, t if t.endswith(b"\n") else t + b"\n") for n, t in _lines_of(blocks)]
    assert found == _expected(data)
    assert sum(block.byte_count for block in blocks) == len(data)
    assert found == [(n, t if t.endswith(b"\n") else t + b"\n")
                     for n, t in _lines_of([block_to_table(data, 1)])]
