"""Counting the bytes of a kind before given positions, from a bit per byte.

The bytes of a buffer that equal a given one are packed into 64-bit words, a bit
per byte (an eighth of the memory a flag per byte takes, and compared a cache-sized
stretch at a time); the words' running counts of bits then answer how many such
bytes come before any position at the cost of one look-up each.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Positions = npt.NDArray[np.int64]

#: Bytes compared at a time (the flags of one stretch stay in the cache).
_STRETCH = 1 << 18


def flag_bits(data: npt.NDArray[np.uint8], byte: int) -> npt.NDArray[np.uint64]:
    """A bit per byte of `data`, set where it equals `byte`, in 64-bit words."""
    words = np.zeros(len(data) // 64 + 1, dtype="<u8")
    bits = words.view(np.uint8)
    flags = np.empty(min(_STRETCH, len(data)), dtype=bool)
    for begin in range(0, len(data), _STRETCH):
        stretch = data[begin:begin + _STRETCH]
        np.equal(stretch, byte, out=flags[:len(stretch)])
        bits[begin // 8:begin // 8 + -(-len(stretch) // 8)] = np.packbits(
            flags[:len(stretch)], bitorder="little")
    return words


def pack_flags(flags: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint64]:
    """`flags` as bits in 64-bit words, as `flag_bits` packs them."""
    words = np.zeros(len(flags) // 64 + 1, dtype="<u8")
    packed = np.packbits(flags, bitorder="little")
    words.view(np.uint8)[:len(packed)] = packed
    return words


def set_before(words: npt.NDArray[np.uint64], positions: Positions) -> Positions:
    """How many bits of `words` are set before each of `positions` (at most the number
    of bytes the words stand for)."""
    before_word = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(np.bitwise_count(words), out=before_word[1:])
    word = positions >> 6
    below = (np.uint64(1) << (positions & 63).astype(np.uint64)) - np.uint64(1)
    partial: Positions = np.bitwise_count(words[word] & below)
    counts: Positions = before_word[word] + partial
    return counts
