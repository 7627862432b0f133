"""The in-memory id index never forgets a stored id (false positives are allowed)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ccstats.store.id_index import IdIndex

hashes = st.lists(st.integers(0, 2**64 - 1), max_size=40).map(
    lambda values: np.array(values, dtype=np.uint64))


@settings(max_examples=200, deadline=None)
@given(st.lists(hashes, max_size=12), hashes)
def test_every_added_hash_is_found_and_absent_ones_are_not(batches: list[np.ndarray],
                                                           probe: np.ndarray) -> None:
    index = IdIndex(batches[0] if batches else np.array([], dtype=np.uint64))
    later = IdIndex(np.array([], dtype=np.uint64))
    for batch in batches[1:]:
        later.add(batch)
    index.merge(later)
    stored = {int(h) for batch in batches for h in batch}
    assert len(index) == sum(len(batch) for batch in batches)
    for value in stored:
        assert index.may_contain_any(np.array([value], dtype=np.uint64))
    absent = np.array([h for h in probe if int(h) not in stored], dtype=np.uint64)
    assert not index.may_contain_any(absent)
    assert index.may_contain_any(probe) == bool(set(map(int, probe)) & stored)
