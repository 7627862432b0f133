"""Which event ids a customer may already have, answered in memory.

Storing a batch must withdraw the old version of every id it replaces, and
finding those means matching the batch against every stored id of the customer,
a scan that grows with the store. The index keeps the 64-bit hashes of the
stored ids in a few sorted arrays (merged like a binary counter, so each hash is
re-sorted O(log n) times), so that the common batch of new ids is recognised as
such without touching the table. A hash match only means "maybe": the store then
does the exact lookup. Deleted ids may stay in the index; that costs a lookup,
never a wrong answer.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Hashes = npt.NDArray[np.uint64]


class IdIndex:
    """Sorted runs of id hashes of one customer."""

    def __init__(self, hashes: Hashes) -> None:
        self._runs: list[Hashes] = [_sorted(hashes)] if len(hashes) else []

    def __len__(self) -> int:
        return sum(len(run) for run in self._runs)

    def may_contain_any(self, hashes: Hashes) -> bool:
        """Whether any of `hashes` may be a stored id (false positives possible)."""
        if not len(hashes):
            return False
        hashes = _sorted(hashes)  # sorted needles make numpy's binary search far faster
        for run in self._runs:
            places = np.searchsorted(run, hashes)
            places[places == len(run)] = 0
            if np.any(run[places] == hashes):
                return True
        return False

    def merge(self, other: IdIndex) -> None:
        """Remember every hash of `other` as stored."""
        for run in other._runs:
            self.add(run)

    def add(self, hashes: Hashes) -> None:
        """Remember `hashes` as stored."""
        if not len(hashes):
            return
        self._runs.append(_sorted(hashes))
        while len(self._runs) > 1 and len(self._runs[-2]) <= 2 * len(self._runs[-1]):
            newest = self._runs.pop()
            # numpy's stable sort of 64-bit integers is timsort, which merges two
            # sorted runs in linear time (a quicksort would start from scratch)
            self._runs[-1] = np.sort(np.concatenate([self._runs[-1], newest]), kind="stable")


def _sorted(hashes: Hashes) -> Hashes:
    """`hashes` in ascending order (as they are, when they already are)."""
    if len(hashes) < 2 or bool(np.all(hashes[1:] >= hashes[:-1])):
        return hashes
    return np.sort(hashes)
