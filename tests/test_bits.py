"""Counting bytes of a kind before positions from packed bits (ccstats.ingest.bits)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ccstats.ingest.bits import flag_bits, pack_flags, set_before


def _check(data: np.ndarray, positions: np.ndarray) -> None:
    flags = data == ord(",")
    expected = [int(np.count_nonzero(flags[:p])) for p in positions.tolist()]
    assert set_before(flag_bits(data, ord(",")), positions).tolist() == expected
    assert set_before(pack_flags(flags), positions).tolist() == expected


@settings(max_examples=200, deadline=None)
@given(text=st.binary(max_size=300).map(lambda b: b.replace(b"x", b",")),
       picks=st.lists(st.integers(0, 10**6), max_size=20))
def test_counts_before_any_position(text: bytes, picks: list[int]) -> None:
    data = np.frombuffer(text, dtype=np.uint8)
    positions = np.array(sorted({p % (len(text) + 1) for p in picks} | {0, len(text)}),
                         dtype=np.int64)
    _check(data, positions)


def test_counts_across_stretches() -> None:
    data = np.random.default_rng(7).choice(np.frombuffer(b",a\n", dtype=np.uint8), 700_001)
    _check(data, np.array([0, 1, 63, 64, 65, 262_143, 262_144, 262_145, 524_300, 700_001]))
